import type { ProducerBatch, RecordMetadata } from 'kafkajs';

/** The part of a kafkajs Producer the batching producers use; tests pass a fake. */
export interface ProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

/** Makes a fresh producer: a failed one is thrown away and replaced (kafkajs#907). */
export type ProducerFactory = () => ProducerLike;
