import type { Logger } from '#config';
import { createRetry, type GroupMember, type KafkaClient, type PartitionOffset, type TopicAdmin } from '#messaging';
import type { BatchPipeline, Planner } from './batch-pipeline.js';
import { resumeStarts, uncommittedStarts } from './group-start.js';

/** Consumer group timings; tests shorten them because group joins dominate their run time. */
export interface ConsumerTuning {
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout: number;
  /** Longest a fetch waits for data: bounds how long a stop waits for an idle fetch. */
  maxWaitTimeInMs: number;
  /** Partitions handled in parallel; each partition stays sequential. */
  partitionsConsumedConcurrently: number;
}

export const DEFAULT_TUNING: ConsumerTuning = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  rebalanceTimeout: 60_000,
  maxWaitTimeInMs: 1_000,
  partitionsConsumedConcurrently: 6,
};

export interface FlowConsumerOptions {
  groupId: string;
  topic: string;
  /**
   * Where the group starts on a partition it has no committed offset for: the first record
   * produced at or after this time (ms since epoch). Undefined: the partition's beginning.
   */
  startAt: number | undefined;
  tuning: ConsumerTuning;
}

/** Attempts at finding a joined member's start offsets before it gives up and crashes the consumer. */
const startRetry = createRetry({ retries: 8, initialMs: 200, maxMs: 5_000 });

/**
 * One consumer group member running a BatchPipeline. Offsets are committed only as the pipeline
 * resolves them (eachBatchAutoResolve off): kafkajs commits resolved offsets after each batch,
 * before a rebalance and on stop, never beyond what Kafka acknowledged downstream.
 *
 * A partition the group has no committed offset for would start wherever kafkajs' reset policy
 * puts it when it is assigned, and nothing would be committed until a record arrives: records
 * produced before a restart, a rebalance or a re-enable were skipped. So after each join the
 * assigned partitions are paused until every uncommitted one has been sought (which commits)
 * to the first record at or after `startAt`.
 */
export class FlowConsumer {
  private consumer: GroupMember | null = null;
  /** Partitions assigned at the last group join (empty before the first join). */
  assigned: number[] = [];
  joins = 0;
  private closed = false;
  /**
   * Whether any rule wants this flow's records (see `want`). While not, the member stays in its
   * group with every assigned partition paused: no fetch, no decoding. In the all-in-one these
   * consumers share the gateway's event loop, and a deployment without outflow rules would
   * otherwise decode every device message a second time just to drop it.
   */
  private wanted = true;
  /** When the flow was last left unwanted (ms since epoch); where a resume may start at the earliest. */
  private unwantedSince = 0;
  /** Bumped by every join and every change of `wanted`: a start or resume still under way for an older one gives up. */
  private generation = 0;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: TopicAdmin,
    private readonly options: FlowConsumerOptions,
    private readonly pipeline: BatchPipeline,
    private readonly planner: Planner,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { groupId, topic, startAt, tuning } = this.options;
    const consumer: GroupMember = this.kafka.groupMember(
      {
        groupId,
        sessionTimeout: tuning.sessionTimeout,
        heartbeatInterval: tuning.heartbeatInterval,
        rebalanceTimeout: tuning.rebalanceTimeout,
        maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      },
      {
        joined: (assignment) => {
          this.assigned = assignment[topic] ?? [];
          this.joins++;
          this.generation++;
          this.logger.info({ groupId, topic, partitions: this.assigned, wanted: this.wanted }, 'consumer group joined');
          if (this.assigned.length === 0) return;
          if (startAt !== undefined) this.holdUntilStarted(consumer, this.generation, this.assigned, startAt);
          else if (!this.wanted) consumer.pause([{ topic, partitions: this.assigned }]);
        },
        crashed: (err, restart) => {
          this.logger.error({ groupId, topic, err, restart }, 'consumer crashed');
        },
      },
    );
    this.consumer = consumer;
    await consumer.connect();
    // With startAt, the reset policy only matters until the seek below lands: 'latest' then
    // costs at most a few redelivered records, 'earliest' could route the whole history.
    await consumer.subscribe(topic, startAt === undefined);
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.pipeline.run(payload, this.planner),
    });
  }

  /**
   * Starts or stops fetching as rules of this flow appear and go. `since` (ms since epoch) is
   * where a resumed flow starts reading: never before the moment it was left unwanted (what came
   * while no rule wanted it is skipped, as a running consumer would have dropped it), else the
   * first record at or after `since`.
   */
  want(wanted: boolean, since: number = Date.now()): void {
    if (wanted === this.wanted) return;
    this.wanted = wanted;
    this.generation++;
    const consumer = this.consumer;
    const { groupId, topic } = this.options;
    this.logger.info({ groupId, topic, wanted }, wanted ? 'flow resumed: a rule wants its records' : 'flow paused: no enabled rule wants its records');
    if (!wanted) {
      this.unwantedSince = Date.now();
      if (consumer && this.assigned.length > 0) consumer.pause([{ topic, partitions: this.assigned }]);
      return;
    }
    if (consumer && this.assigned.length > 0) this.resumeAt(consumer, this.generation, this.assigned, Math.max(since, this.unwantedSince));
  }

  get isWanted(): boolean {
    return this.wanted;
  }

  /** When the flow was last left unwanted (ms since epoch; 0 if never). */
  get unwantedAt(): number {
    return this.unwantedSince;
  }

  /** Seeks the paused partitions to `since` (never back before their commits), then resumes them. */
  private resumeAt(consumer: GroupMember, generation: number, partitions: number[], since: number): void {
    const { groupId, topic } = this.options;
    this.seekThenResume(consumer, generation, partitions, () => resumeStarts(this.admin, groupId, topic, partitions, since), 'could not find where to resume the flow');
  }

  /** Pauses the partitions of one join until their start is known and sought; a later join takes over. */
  private holdUntilStarted(consumer: GroupMember, generation: number, partitions: number[], startAt: number): void {
    const { groupId, topic } = this.options;
    consumer.pause([{ topic, partitions }]);
    this.seekThenResume(consumer, generation, partitions, () => uncommittedStarts(this.admin, groupId, topic, partitions, startAt), 'could not find the start offsets of the group', (starts) => {
      if (starts.length > 0) this.logger.info({ groupId, topic, starts, startAt }, 'group started uncommitted partitions at its start time');
    });
  }

  /**
   * Finds where paused `partitions` start (retried), seeks them there and resumes them if the
   * flow is wanted; gives up quietly once a later join or want() took over. Left paused, the
   * partitions would silently stop: when the offsets cannot be found the member restarts.
   */
  private seekThenResume(consumer: GroupMember, generation: number, partitions: number[], find: () => Promise<PartitionOffset[]>, failure: string, sought?: (starts: PartitionOffset[]) => void): void {
    const { groupId, topic } = this.options;
    const current = (): boolean => this.consumer === consumer && this.generation === generation;
    startRetry(async (bail) => {
      if (!current()) bail(null);
      return find();
    }).then(
      (starts) => {
        if (!current()) return;
        for (const s of starts) consumer.seek({ topic, partition: s.partition, offset: s.offset });
        sought?.(starts);
        if (this.wanted) consumer.resume([{ topic, partitions }]);
      },
      (err: unknown) => {
        if (err === null || !current()) return;
        this.logger.error({ err, groupId, topic }, `${failure}; restarting the consumer`);
        void this.restart();
      },
    );
  }

  private async restart(): Promise<void> {
    await this.leave().catch(() => undefined);
    if (this.closed) return;
    await this.start().catch((err: unknown) => this.logger.error({ err, groupId: this.options.groupId }, 'consumer restart failed'));
  }

  /** Finishes the batch in hand, commits what was resolved, leaves the group. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.leave();
  }

  private async leave(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect();
  }

  get running(): boolean {
    return this.consumer !== null;
  }
}
