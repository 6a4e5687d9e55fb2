import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '#config';
import type { BatchPipeline, Planner } from './batch-pipeline.js';

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
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
  tuning: ConsumerTuning;
}

/**
 * One consumer group member running a BatchPipeline. Offsets are committed only as the pipeline
 * resolves them (eachBatchAutoResolve off): kafkajs commits resolved offsets after each batch,
 * before a rebalance and on stop, never beyond what Kafka acknowledged downstream.
 */
export class FlowConsumer {
  private consumer: Consumer | null = null;
  /** Partitions assigned at the last group join (empty before the first join). */
  assigned: number[] = [];
  joins = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: FlowConsumerOptions,
    private readonly pipeline: BatchPipeline,
    private readonly planner: Planner,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { groupId, topic, fromBeginning, tuning } = this.options;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: tuning.sessionTimeout,
      heartbeatInterval: tuning.heartbeatInterval,
      rebalanceTimeout: tuning.rebalanceTimeout,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assigned = e.payload.memberAssignment[topic] ?? [];
      this.joins++;
      this.logger.info({ groupId, topic, partitions: this.assigned }, 'consumer group joined');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.logger.error({ groupId, topic, err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.pipeline.run(payload, this.planner),
    });
  }

  /** Finishes the batch in hand, commits what was resolved, leaves the group. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect();
  }

  get running(): boolean {
    return this.consumer !== null;
  }
}
