import type { EachMessagePayload, Kafka } from 'kafkajs';
import type { Logger } from '#config';
import { parseDownlinkRecord } from '../codec/downlink.codec.js';
import type { DownlinkHandler, DownlinkSource } from '../ports.js';
import { DOWNLINK_TOPIC, gatewayDownlinkGroup } from '../topics.js';
import type { DlqPublisher } from './dlq-publisher.js';
import { GroupConsumer } from './group-consumer.js';

export interface DownlinkConsumerOptions {
  kafka: Kafka;
  nodeId: string;
  logger: Logger;
  dlq: DlqPublisher;
  topic?: string;
  /** Default: the node's own group (gatewayDownlinkGroup). */
  groupId?: string;
  /** Partitions of the downlink topic: each is handled on its own, so one busy partition delays no other. */
  partitions?: number;
}

/**
 * How often the handled offsets are committed (GroupConsumer's OffsetCommitter), beside the
 * fetches: kafkajs's own auto-commit sent a commit after every partition batch, in front of that
 * partition's next fetch. The start positions are committed at the join, so a node of the Redis
 * store's shared group that dies before its first commit leaves its partitions where it started.
 */
const COMMIT_INTERVAL_MS = 1_000;

export interface DownlinkConsumerCounters {
  received: number;
  malformed: number;
  handlerErrors: number;
}

/**
 * A gateway node's view of `fleetmq.downlink`: its own group (`fleetmq-gateway-<nodeId>`), so
 * every node sees every record and delivers to the clients it holds, or the tier's shared group
 * (FLEETMQ_DOWNLINK_GROUP, Redis session store), so each record is read once. Malformed records go to
 * the DLQ with the reason; the offset is committed after the handler (or the DLQ) finished,
 * within COMMIT_INTERVAL_MS. Records of one partition (one key: one target or
 * topic) are handled in order; partitions are handled concurrently.
 */
export class DownlinkConsumer implements DownlinkSource {
  readonly counters: DownlinkConsumerCounters = { received: 0, malformed: 0, handlerErrors: 0 };
  private readonly group: GroupConsumer;
  private readonly log: Logger;

  constructor(private readonly opts: DownlinkConsumerOptions) {
    this.log = opts.logger;
    this.group = new GroupConsumer({
      kafka: opts.kafka,
      groupId: opts.groupId ?? gatewayDownlinkGroup(opts.nodeId),
      topic: opts.topic ?? DOWNLINK_TOPIC,
      logger: opts.logger,
      autoCommit: true,
      commitIntervalMs: COMMIT_INTERVAL_MS,
      partitionsConsumedConcurrently: opts.partitions ?? 1,
    });
  }

  async start(handler: DownlinkHandler): Promise<void> {
    await this.group.start((payload) => this.handle(payload, handler));
  }

  async stop(): Promise<void> {
    await this.group.stop();
  }

  private async handle({ topic, partition, message }: EachMessagePayload, handler: DownlinkHandler): Promise<void> {
    this.counters.received++;
    const parsed = parseDownlinkRecord(message);
    if (!parsed.ok) {
      this.counters.malformed++;
      // Awaited: if the DLQ is unreachable the offset is not committed and the record comes back.
      await this.opts.dlq.publish(message, { topic, partition, offset: message.offset }, parsed.error.reason);
      return;
    }
    parsed.value.kafkaTimestampMs = Number(message.timestamp);
    try {
      await handler(parsed.value);
    } catch (error) {
      // Delivery to local clients failing is a bug here, not a reason to stall every device behind it.
      this.counters.handlerErrors++;
      this.log.error({ err: error, msgId: parsed.value.msgId }, 'downlink handler failed');
    }
  }
}
