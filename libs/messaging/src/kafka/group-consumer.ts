import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka } from 'kafkajs';
import type { Logger } from '#config';
import { createRetry } from '../retry/retry.js';
import { FETCH_LIMITS } from './fetch-limits.js';

// Right after a broker (re)start the group coordinator is still loading: the offset lookup
// fails with a retriable NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE that kafkajs' admin
// does not retry itself, and the process would exit during start.
const startOffsetsRetry = createRetry({ retries: 8, initialMs: 200, maxMs: 3_000 });

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /** false: never commit, so every start begins at the latest record (control commands). */
  autoCommit: boolean;
  /** How long start() waits for the group join. */
  joinTimeoutMs?: number;
  config?: Partial<ConsumerConfig>;
  /** Partitions whose batches are handled at the same time (kafkajs default 1: one after another). */
  partitionsConsumedConcurrently?: number;
  /**
   * With auto-commit: commit at most this often (ms) instead of after every batch. Each commit
   * is a round trip the fetch loop waits for; a restart may then see the last interval again.
   */
  autoCommitIntervalMs?: number;
}

/**
 * A kafkajs consumer group on one topic. Where the group has no committed offset it starts at
 * the end as it was when start() was called, so every record produced after start() resolved is
 * seen. start() resolves once the group is joined. With auto-commit the offset of a record is
 * committed after its handler returned.
 */
export class GroupConsumer {
  private consumer: Consumer | undefined;
  private stopped = false;

  constructor(private readonly opts: GroupConsumerOptions) {}

  async start(eachMessage: (payload: EachMessagePayload) => Promise<void>): Promise<void> {
    const { kafka, groupId, topic, logger } = this.opts;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      ...FETCH_LIMITS,
      ...this.opts.config,
      // A crash while stop() runs (a restart still connecting) would otherwise schedule another
      // restart after disconnect(): the consumer would retry forever and keep the process alive.
      retry: { retries: 5, ...this.opts.config?.retry, restartOnFailure: async () => !this.stopped },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      logger.error({ groupId, topic, err: e.payload.error, restart: e.payload.restart }, 'kafka consumer crashed');
    });
    const startAt = await startOffsetsRetry(() => this.startOffsets());
    // kafkajs resolves "latest" only at the first fetch after the join, so a record produced
    // between start() and that fetch would be skipped; pinning the end offsets seen before the
    // join makes "everything produced after start() resolved" a guarantee. The seek goes in the
    // first join, not after run(): run() also resolves when the join failed (coordinator still
    // loading) and kafkajs restarts later, and seek() throws "Consumer group was not
    // initialized" until a group exists. GROUP_JOIN fires before the first fetch is scheduled.
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        for (const [partition, offset] of startAt) consumer.seek({ topic, partition, offset });
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: this.opts.autoCommit,
      autoCommitInterval: this.opts.autoCommitIntervalMs ?? null,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachMessage,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.joinTimeoutMs ?? 30_000;
    await Promise.race([
      joined,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ groupId, topic, timeoutMs }, 'consumer group not joined yet; continuing');
          resolve();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The end offset of each partition that has no committed offset of this group (all of them without auto-commit). */
  private async startOffsets(): Promise<Map<number, string>> {
    const { kafka, groupId, topic } = this.opts;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = new Map<number, string>();
      if (this.opts.autoCommit) {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const p of offsets?.partitions ?? []) committed.set(p.partition, p.offset);
      }
      const startAt = new Map<number, string>();
      for (const p of ends) {
        const c = committed.get(p.partition);
        if (c === undefined || Number(c) < 0) startAt.set(p.partition, p.high);
      }
      return startAt;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }
}
