import type { Logger } from '#config';
import { UplinkRecordBuilder } from '../codec/uplink.codec.js';
import type { BackoffOptions } from '../retry/backoff.js';
import { UPLINK_TOPIC } from '../topics.js';
import type { Done, UplinkMessage } from '../types.js';
import type { UplinkCounters, UplinkSink } from '../ports.js';
import { BatchingProducer } from './batching-producer.js';
import type { ProducerFactory } from './producer-like.js';

export interface UplinkProducerOptions {
  createProducer: ProducerFactory;
  logger: Logger;
  /** `fleetmq-node` header of every record. */
  nodeId: string;
  topic?: string;
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes?: number;
  /** QoS 1/2 records waiting for Kafka before `saturated`; they are never dropped. */
  maxQueuedRecords: number;
  /** QoS 0 records waiting at most; more are dropped and counted. */
  maxQueuedQos0: number;
  backoff?: Partial<BackoffOptions>;
  attemptTimeoutMs?: number;
  /**
   * Lanes sent in parallel, one batch in flight each; a client's records all go to lane
   * `murmur2(key) % lanes`. Set it to the uplink topic's partition count: lanes are then the
   * partitions themselves (the same hash kafkajs partitions with). Another number only changes
   * how many batches may be in flight; per-client order holds either way. Default 1.
   */
  lanes?: number;
  /** Produce requests in flight at once, each with the next batch of every idle lane (default 1); see BatchingProducer. */
  maxRequestsInFlight?: number;
}

/**
 * What kafkajs must allow in flight on a connection for an UplinkProducer: its request slots,
 * plus one retry per lane (a lane retried after a failure sends alone, outside the slots).
 */
export function uplinkRequestsInFlight(lanes: number, settings: { maxRequestsInFlight?: number }): number {
  return Math.max(1, settings.maxRequestsInFlight ?? 1) + lanes;
}

/**
 * The gateway's hot path: a device PUBLISH becomes a `fleetmq.uplink` record, and `done` fires
 * when Kafka acknowledged it (acks=all), which is when the gateway may PUBACK. Records go to
 * one lane per partition, each with at most one batch in flight (so a slow or failing partition
 * holds back only its own clients); see BatchingProducer for batching, ordering and retry.
 * QoS 0 records past `maxQueuedQos0` are dropped: their `done` gets QueueFullError.
 */
export class UplinkProducer extends BatchingProducer implements UplinkSink {
  private readonly records: UplinkRecordBuilder;

  constructor(options: UplinkProducerOptions) {
    super({
      name: 'uplink',
      topic: options.topic ?? UPLINK_TOPIC,
      createProducer: options.createProducer,
      logger: options.logger,
      lingerMs: options.lingerMs,
      maxBatchRecords: options.maxBatchRecords,
      maxBatchBytes: options.maxBatchBytes,
      maxQueuedRecords: options.maxQueuedRecords,
      maxQueuedDroppable: options.maxQueuedQos0,
      backoff: options.backoff,
      attemptTimeoutMs: options.attemptTimeoutMs,
      lanes: options.lanes,
      maxRequestsInFlight: options.maxRequestsInFlight,
    });
    this.records = new UplinkRecordBuilder({ nodeId: options.nodeId });
  }

  send(msg: UplinkMessage, done: Done): void {
    const origin = this.records.origin(msg.instanceId, msg.clientId);
    const lane = this.laneCount === 1 ? 0 : (origin.hash & 0x7fffffff) % this.laneCount;
    const record = this.records.build(msg, origin);
    // QoS 0 is at most once: it may be dropped when its queue is full; QoS 1 and 2 never are.
    if (msg.qos === 0) this.enqueueDroppable(record, done, lane);
    else this.enqueueGuaranteed(record, done, lane);
  }

  get uplinkCounters(): UplinkCounters {
    const c = this.counters;
    return {
      produced: c.produced,
      failedAttempts: c.failedAttempts,
      droppedQos0: c.dropped,
      rejected: c.rejected,
      queued: c.queued,
      inFlight: c.inFlight,
      batches: c.batches,
    };
  }
}
