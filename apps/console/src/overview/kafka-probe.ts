import { withTimeout, type Logger } from '#config';
import { createKafka } from '#messaging';

/** kafkajs stays inside libs/messaging: the admin client's type comes through its factory. */
type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/**
 * Answers whether the configured Kafka cluster responds, through one long-lived admin client.
 * kafkajs's own connection errors would repeat every sample; the probe logs changes of state.
 */
export class KafkaProbe {
  private admin: Admin | null = null;
  private last: 'up' | 'down' | undefined;

  constructor(
    private readonly brokers: readonly string[] | undefined,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  async state(): Promise<'up' | 'down' | 'none'> {
    if (this.brokers === undefined || this.brokers.length === 0) return 'none';
    const state = await this.probe(this.brokers);
    if (state !== this.last && (this.last !== undefined || state === 'down')) {
      if (state === 'down') this.logger.warn({ brokers: this.brokers }, 'overview: Kafka does not answer');
      else this.logger.info({ brokers: this.brokers }, 'overview: Kafka answers again');
    }
    this.last = state;
    return state;
  }

  private async probe(brokers: readonly string[]): Promise<'up' | 'down'> {
    try {
      this.admin ??= createKafka({
        brokers,
        clientId: 'fleetmq-console-overview',
        logger: this.logger.child({ component: 'overview-kafka-probe' }, { level: 'silent' }),
        connectionTimeoutMs: this.timeoutMs,
        requestTimeoutMs: this.timeoutMs,
      }).admin({ retry: { retries: 0 } });
      await withTimeout(this.admin.connect().then(() => this.admin!.describeCluster()), this.timeoutMs);
      return 'up';
    } catch {
      // A failed admin may be half-connected: start over with a fresh one next time.
      const failed = this.admin;
      this.admin = null;
      void failed?.disconnect().catch(() => undefined);
      return 'down';
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
