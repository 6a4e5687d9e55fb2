import type { Message } from 'kafkajs';
import { KafkaUnavailableError, RetriesExhaustedError } from '../errors.js';
import { createRetry, type RetryOptions } from '../retry/retry.js';
import type { ProducerFactory, ProducerLike } from './producer-like.js';

const noop = (): void => {};

/**
 * A kafkajs producer for awaited, low-rate sends (downlink publishing, control, DLQ): acks=all,
 * a few retries, and a fresh producer after any failure, since a kafkajs producer can stay
 * "disconnected" for good (kafkajs#907). Fails with KafkaUnavailableError.
 */
export class ManagedProducer {
  private producer: ProducerLike | undefined;
  private connecting: Promise<ProducerLike> | undefined;
  private stopped = false;
  private readonly retry: ReturnType<typeof createRetry>;

  constructor(
    private readonly createProducer: ProducerFactory,
    retry: RetryOptions = { retries: 3, initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2 },
    private readonly ackTimeoutMs = 10_000,
  ) {
    this.retry = createRetry(retry);
  }

  async start(): Promise<void> {
    await this.get();
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    try {
      await this.retry(async (bail) => {
        if (this.stopped) bail(new KafkaUnavailableError('producer stopped'));
        const producer = await this.get();
        try {
          await producer.sendBatch({ acks: -1, timeout: this.ackTimeoutMs, topicMessages: [{ topic, messages }] });
        } catch (error) {
          this.drop(producer);
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw error;
      const cause = error instanceof RetriesExhaustedError ? error.cause : error;
      throw new KafkaUnavailableError(`could not produce to ${topic}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    if (producer) await producer.disconnect().catch(noop);
  }

  private get(): Promise<ProducerLike> {
    if (this.connecting) return this.connecting;
    const producer = this.createProducer();
    this.producer = producer;
    const connecting = producer.connect().then(
      () => producer,
      (error: unknown) => {
        this.drop(producer);
        throw error;
      },
    );
    this.connecting = connecting;
    return connecting;
  }

  private drop(producer: ProducerLike): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    this.connecting = undefined;
    void producer.disconnect().catch(noop);
  }
}
