import type { IncomingRecord, RecordHeaders } from './codec/record.js';
import type { ProducerFactory } from './kafka/producer-like.js';
import type { ProducerEvent } from './messaging.events.js';
import type { ControlCommand, Done, DownlinkInput, DownlinkMessage, PresenceEvent, UplinkMessage } from './types.js';

/**
 * The interfaces apps depend on; Kafka (kafka/) and the in-process bus (in-process/) implement
 * them, so no app needs kafkajs to compile or to run.
 */

export interface UplinkCounters {
  produced: number;
  failedAttempts: number;
  droppedQos0: number;
  rejected: number;
  queued: number;
  inFlight: number;
  batches: number;
}

/** Where device PUBLISHes go (gateway). */
export interface UplinkSink {
  start(): Promise<void>;
  /** Sends what is queued first, then stops; unacknowledged records get an error after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** `done()` once the record is durable (Kafka acknowledged), `done(err)` if it never will be. */
  send(msg: UplinkMessage, done: Done): void;
  /** Too much waits for Kafka: stop reading publishers until `resumed`. */
  isSaturated(): boolean;
  on(event: ProducerEvent, listener: () => void): unknown;
  off(event: ProducerEvent, listener: () => void): unknown;
  readonly uplinkCounters: UplinkCounters;
}

/** Sends messages to devices (console, rule-router). Resolves with the record's msgId once durable. */
export interface DownlinkSink {
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(msg: DownlinkInput): Promise<string>;
  /** In order, as one request where possible. */
  publishMany(msgs: readonly DownlinkInput[]): Promise<string[]>;
}

export type DownlinkHandler = (msg: DownlinkMessage) => Promise<void> | void;

/** Receives every downlink message (gateway: each node sees all of them). */
export interface DownlinkSource {
  /** Resolves once subscribed (for Kafka: joined its group). */
  start(handler: DownlinkHandler): Promise<void>;
  stop(): Promise<void>;
}

/** Presence events, fire-and-forget (gateway). */
export interface PresenceSink {
  start(): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
  /** Never throws nor blocks; dropped and counted when its queue is full. */
  publish(event: PresenceEvent): void;
}

export type ControlHandler = (command: ControlCommand) => Promise<void> | void;

/** Control commands: every process receives every command published after it started. */
export interface ControlChannel {
  start(handler: ControlHandler): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once durable. */
  publish(command: ControlCommand): Promise<void>;
}

/** Everything a process needs, backed by Kafka or by the in-process bus. */
export interface Messaging {
  readonly kind: 'kafka' | 'in-process';
  /** Creates the internal topics (Kafka, when configured to). */
  start(): Promise<void>;
  /** Stops every component made through it, the uplink drained first. */
  stop(): Promise<void>;
  /** Resolves when the broker answers a metadata request (readiness); the in-process bus always does. */
  ping(): Promise<void>;
  /** One per process. */
  uplink(): UplinkSink;
  /** One per process. */
  downlinkSink(): DownlinkSink;
  /** One per process. */
  presence(): PresenceSink;
  /**
   * Consumer group `fleetmq-control-<role>-<nodeId>`, from the latest record. Each call is a new
   * channel: in the all-in-one process the gateway and the router pass their own `role`.
   */
  control(role?: string): ControlChannel;
  /**
   * Each call is a new consumer: group `fleetmq-gateway-<nodeId>` (one per node: every node reads
   * every record) unless `groupId` names a group the nodes of a tier share (FLEETMQ_DOWNLINK_GROUP).
   */
  downlinkSource(groupId?: string): DownlinkSource;
}

// Consumer groups and topic administration for the rule router, which reads and writes Kafka
// topics of its own. kafka/kafka-client.ts adapts a kafkajs client to these; the shapes are
// structurally kafkajs's, so records and batches pass through without copies.

/** A record as fetched from a partition. */
export interface ConsumedRecord extends IncomingRecord {
  key: Buffer | null;
  offset: string;
  /** Milliseconds since epoch, as text. */
  timestamp: string;
}

/** A record to produce; without `partition`, the key picks it (murmur2, as Java clients). */
export interface ProducedRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: RecordHeaders;
  partition?: number;
}

export interface TopicRecords {
  topic: string;
  messages: ProducedRecord[];
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** One fetched batch of one partition, with the controls of the member that fetched it. */
export interface ConsumedBatch {
  batch: { topic: string; partition: number; messages: ConsumedRecord[] };
  /** Marks records up to `offset` as done: the member commits past them. */
  resolveOffset(offset: string): void;
  commitOffsetsIfNecessary(): Promise<void>;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** The partition was revoked (rebalance) or sought: drop the rest of the batch. */
  isStale(): boolean;
}

/** Consumer group timings of one member. */
export interface GroupMemberOptions {
  groupId: string;
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout: number;
  /** Longest a fetch waits for data. */
  maxWaitTimeInMs: number;
}

export interface GroupMemberEvents {
  /** After each join: the partitions assigned to this member, per topic. */
  joined(assignment: Record<string, number[]>): void;
  /** The member failed; `restart` says whether it restarts itself. */
  crashed(error: Error, restart: boolean): void;
}

/** A consumer group member that hands its records over one partition batch at a time. */
export interface GroupMember {
  connect(): Promise<void>;
  /** `fromBeginning`: where a partition without a committed offset starts (else at its end). */
  subscribe(topic: string, fromBeginning: boolean): Promise<void>;
  run(options: {
    autoCommit: boolean;
    /** false: only offsets passed to resolveOffset are committed. */
    eachBatchAutoResolve: boolean;
    partitionsConsumedConcurrently: number;
    eachBatch: (batch: ConsumedBatch) => Promise<void>;
  }): Promise<void>;
  pause(partitions: TopicPartitions[]): void;
  resume(partitions: TopicPartitions[]): void;
  seek(position: { topic: string; partition: number; offset: string }): void;
  disconnect(): Promise<void>;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** The topic and group administration the rule router needs. */
export interface TopicAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(request: { waitForLeaders: boolean; topics: Array<{ topic: string; numPartitions: number; replicationFactor: number }> }): Promise<boolean>;
  /** Committed offsets of a group; '-1' where it has none. */
  fetchOffsets(request: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: PartitionOffset[] }>>;
  /** Per partition, the first offset at or after `timestamp` (the end when there is none). */
  fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[]>;
}

/** A Kafka cluster as the rule router uses it. */
export interface KafkaClient {
  admin(): TopicAdmin;
  groupMember(options: GroupMemberOptions, events: GroupMemberEvents): GroupMember;
  /** acks=all producers without idempotence (kafkajs#598), `maxInFlightRequests` requests out at once. */
  producers(options: { maxInFlightRequests: number }): ProducerFactory;
}
