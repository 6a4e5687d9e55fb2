import { createBackoff, type BackoffPolicy, type ProducedRecord, type ProducerFactory, type ProducerLike, type TopicRecords } from '#messaging';

/** What a produce loop consults while it waits for Kafka. */
export interface ProduceContext {
  /** True once waiting longer is pointless: stopping past the grace period, or the partition was revoked. */
  abandon(): boolean;
  /** Keeps the consumer's group membership alive during long retries. */
  heartbeat(): Promise<void>;
}

export type ProduceOutcome =
  | { kind: 'acknowledged'; rejected: Map<string, Error> }
  | { kind: 'abandoned' };

/**
 * Whether Kafka refused the records themselves (e.g. MESSAGE_TOO_LARGE, INVALID_TOPIC): sending
 * again cannot help. Everything else (broker down, leader moving, retries exhausted: kafkajs#628)
 * is transient and retried for as long as the caller waits.
 */
export function isPermanentProduceError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { name?: string; retriable?: boolean; cause?: unknown; originalError?: unknown };
    if (err.name === 'KafkaJSProtocolError') return err.retriable === false;
    e = err.cause ?? err.originalError;
  }
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry waits of a send Kafka did not acknowledge (jittered, doubling). */
const PRODUCE_RETRY_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;

/**
 * Sends with acks=all and retries transient failures until acknowledged or abandoned. A record
 * acknowledged is never reported as failed; a batch that fails permanently is split per topic
 * so one bad target does not hold back the others (`rejected` names the refused topics).
 */
export class RouterProducer {
  private readonly backoff: BackoffPolicy;
  private producer: ProducerLike | null = null;
  private connecting: Promise<ProducerLike> | null = null;

  constructor(
    private readonly factory: ProducerFactory,
    private readonly onRetry: () => void,
    backoff?: BackoffPolicy,
  ) {
    this.backoff = backoff ?? createBackoff(PRODUCE_RETRY_BACKOFF);
  }

  async start(): Promise<void> {
    await this.current();
  }

  async stop(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }

  private current(): Promise<ProducerLike> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.factory();
      try {
        await producer.connect();
      } catch (error) {
        await producer.disconnect().catch(() => undefined);
        throw error;
      }
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** A kafkajs producer may stay "disconnected" for good after a failure (kafkajs#907): replace it. */
  private discard(producer: ProducerLike | null): void {
    if (producer === null || this.producer !== producer) return;
    this.producer = null;
    void producer.disconnect().catch(() => undefined);
  }

  async send(batches: TopicRecords[], ctx: ProduceContext): Promise<ProduceOutcome> {
    const rejected = new Map<string, Error>();
    if (batches.length === 0) return { kind: 'acknowledged', rejected };
    const all = await this.attempt(batches, ctx);
    if (all === 'abandoned') return { kind: 'abandoned' };
    if (all === null) return { kind: 'acknowledged', rejected };
    if (batches.length === 1) {
      rejected.set(batches[0]!.topic, all);
      return { kind: 'acknowledged', rejected };
    }
    for (const batch of batches) {
      const result = await this.attempt([batch], ctx);
      if (result === 'abandoned') return { kind: 'abandoned' };
      if (result !== null) rejected.set(batch.topic, result);
    }
    return { kind: 'acknowledged', rejected };
  }

  /** null = acknowledged; an Error = permanently refused. */
  private async attempt(batches: TopicRecords[], ctx: ProduceContext): Promise<Error | null | 'abandoned'> {
    for (let attempt = 0; ; attempt++) {
      let producer: ProducerLike | null = null;
      try {
        producer = await this.current();
        await producer.sendBatch({ topicMessages: batches, acks: -1 });
        return null;
      } catch (error) {
        if (isPermanentProduceError(error)) return error as Error;
        this.discard(producer);
        this.onRetry();
        if (ctx.abandon()) return 'abandoned';
        await sleep(this.backoff.delay(attempt));
        await ctx.heartbeat().catch(() => undefined);
        if (ctx.abandon()) return 'abandoned';
      }
    }
  }
}

/** Groups messages by topic, keeping their order within each topic. */
export class TopicBatches {
  private readonly byTopic = new Map<string, ProducedRecord[]>();

  add(topic: string, message: ProducedRecord): void {
    const list = this.byTopic.get(topic);
    if (list === undefined) this.byTopic.set(topic, [message]);
    else list.push(message);
  }

  get size(): number {
    return this.byTopic.size;
  }

  toArray(): TopicRecords[] {
    return [...this.byTopic].map(([topic, messages]) => ({ topic, messages }));
  }
}
