import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka } from 'kafkajs';
import { withTimeout, type Logger } from '#config';
import { createRetry } from '../retry/retry.js';
import { FETCH_LIMITS } from './fetch-limits.js';
import { OffsetCommitter } from './offset-committer.js';

// Right after a broker (re)start the group coordinator is still loading: the offset lookup
// fails with a retriable NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE that kafkajs' admin
// does not retry itself, and the process would exit during start.
const startOffsetsRetry = createRetry({ retries: 8, initialMs: 200, maxMs: 3_000 });

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /**
   * true: a record's offset is committed after its handler returned, every `commitIntervalMs`
   * (OffsetCommitter). false: never commit, so every start begins at the latest record (control
   * commands).
   */
  autoCommit: boolean;
  /** How long start() waits for the group join. */
  joinTimeoutMs?: number;
  config?: Partial<ConsumerConfig>;
  /** Partitions whose batches are handled at the same time (kafkajs default 1: one after another). */
  partitionsConsumedConcurrently?: number;
  /**
   * With auto-commit: how often (ms) the handled offsets are committed (default 1000). A member
   * that dies reads the records of its last interval again on the next owner; none is skipped.
   */
  commitIntervalMs?: number;
  /** With auto-commit: how long stop() waits for running handlers, then for its last commit (default 5000 each). */
  stopWaitMs?: number;
}

const DEFAULT_COMMIT_INTERVAL_MS = 1_000;
/** How long stop() waits for running handlers, then for its last commit, before it leaves the group. */
const DEFAULT_STOP_WAIT_MS = 5_000;

/**
 * A kafkajs consumer group on one topic. Where the group has no committed offset it starts at
 * the end as it was when start() was called, so every record produced after start() resolved is
 * seen. start() resolves once the group is joined. With auto-commit the offset of a record is
 * committed after its handler returned.
 */
export class GroupConsumer {
  private consumer: Consumer | undefined;
  private committer: OffsetCommitter | undefined;
  private stopped = false;
  /** Handlers running now (auto-commit only), and who waits for none to run. */
  private handling = 0;
  private onIdle: (() => void) | undefined;

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
    const committer = this.opts.autoCommit
      ? new OffsetCommitter(
          (positions) => consumer.commitOffsets(positions.map(({ partition, offset }) => ({ topic, partition, offset }))),
          this.opts.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
          (err) => logger.warn({ groupId, topic, err: err instanceof Error ? err.message : String(err) }, 'committing consumed offsets failed; trying again'),
        )
      : undefined;
    this.committer = committer;
    let firstJoin = true;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned = e.payload.memberAssignment[topic] ?? [];
        if (firstJoin) {
          firstJoin = false;
          for (const [partition, offset] of startAt) {
            consumer.seek({ topic, partition, offset });
            // Committed at once, so a member taking the partition over (this one died) starts
            // there too, not at its own "latest".
            committer?.position(partition, offset);
          }
          resolve();
        }
        committer?.retain(assigned);
        // Not awaited: kafkajs's runner is marked running only after the join's listeners ran.
        if (committer !== undefined) setImmediate(() => void committer.flush());
      });
    });
    // What was handled goes to Kafka before the partitions move to another member.
    if (committer !== undefined) consumer.on(consumer.events.REBALANCING, () => void committer.flush());
    const handle = committer === undefined
      ? eachMessage
      : async (payload: EachMessagePayload): Promise<void> => {
          this.handling++;
          try {
            await eachMessage(payload);
            committer.handled(payload.partition, payload.message.offset);
          } finally {
            if (--this.handling === 0) this.onIdle?.();
          }
        };
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      // Committed by the OffsetCommitter instead: kafkajs commits after every partition batch
      // whatever its interval says, and that partition's next fetch waits for the commit.
      autoCommit: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachMessage: handle,
    });
    committer?.start();
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

  /** Resolves when no handler runs, or after `timeoutMs` in any case. */
  private async handlersDone(timeoutMs: number): Promise<void> {
    if (this.handling === 0) return;
    const idle = new Promise<void>((resolve) => (this.onIdle = resolve));
    await withTimeout(idle, timeoutMs).catch(() => undefined);
    this.onIdle = undefined;
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
    const committer = this.committer;
    this.consumer = undefined;
    this.committer = undefined;
    if (consumer !== undefined && committer !== undefined) {
      committer.stop();
      // No further record is handed out (kafkajs checks the pause after each one); what was
      // handled is committed while the member is still in the group. A record whose handler
      // outlasts the wait is read again after a restart.
      try {
        consumer.pause([{ topic: this.opts.topic }]);
      } catch {
        // Never joined (run() not reached): nothing is handed out.
      }
      await this.handlersDone(this.opts.stopWaitMs ?? DEFAULT_STOP_WAIT_MS);
      // Bounded: with Kafka gone, kafkajs retries a commit for up to a minute; those records are read again.
      await withTimeout(committer.flush(), this.opts.stopWaitMs ?? DEFAULT_STOP_WAIT_MS).catch((err: unknown) => {
        this.opts.logger.warn({ groupId: this.opts.groupId, topic: this.opts.topic, err: String(err) }, 'consumed offsets not committed at stop; they are read again after a restart');
      });
    }
    if (consumer) await consumer.disconnect();
  }
}
