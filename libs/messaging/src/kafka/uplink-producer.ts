import type { Logger } from '#config';
import { buildUplinkRecord } from '../codec/uplink.codec.js';
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
}

/**
 * The gateway's hot path: a device PUBLISH becomes a `fleetmq.uplink` record, and `done` fires
 * when Kafka acknowledged it (acks=all), which is when the gateway may PUBACK. See
 * BatchingProducer for batching, ordering and retry. QoS 0 records past `maxQueuedQos0` are
 * dropped: their `done` gets QueueFullError.
 */
export class UplinkProducer extends BatchingProducer implements UplinkSink {
  private readonly nodeId: string;

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
    });
    this.nodeId = options.nodeId;
  }

  send(msg: UplinkMessage, done: Done): void {
    this.enqueue(buildUplinkRecord(msg, this.nodeId), msg.qos === 0, done);
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
