import type { Logger } from '#config';
import { buildPresenceRecord } from '../codec/presence.codec.js';
import type { PresenceSink } from '../ports.js';
import { PRESENCE_TOPIC } from '../topics.js';
import type { PresenceEvent } from '../types.js';
import { BatchingProducer } from './batching-producer.js';
import type { ProducerFactory } from './producer-like.js';

export interface PresencePublisherOptions {
  createProducer: ProducerFactory;
  logger: Logger;
  topic?: string;
  lingerMs?: number;
  /** Events waiting at most; more are dropped and counted (`counters.dropped`). */
  maxQueued?: number;
}

/**
 * Connect/disconnect events to `fleetmq.presence`, fire-and-forget: batched, in order, retried
 * while Kafka is away, dropped (and counted) only when the bounded queue is full.
 */
export class PresencePublisher extends BatchingProducer implements PresenceSink {
  constructor(options: PresencePublisherOptions) {
    const maxQueued = options.maxQueued ?? 10_000;
    super({
      name: 'presence',
      topic: options.topic ?? PRESENCE_TOPIC,
      createProducer: options.createProducer,
      logger: options.logger,
      lingerMs: options.lingerMs ?? 20,
      maxBatchRecords: 1_000,
      maxQueuedRecords: maxQueued,
      maxQueuedDroppable: maxQueued,
    });
  }

  publish(event: PresenceEvent): void {
    this.enqueueDroppable(buildPresenceRecord(event), undefined);
  }
}
