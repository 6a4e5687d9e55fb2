import type { Message } from 'kafkajs';
import { KafkaUnavailableError, RetriesExhaustedError } from '../errors.js';
import { createRetry, type RetryOptions } from '../retry/retry.js';
import type { ProducerFactory } from './producer-like.js';
import { ProducerSlot } from './producer-slot.js';

/**
 * A kafkajs producer for awaited, low-rate sends (downlink publishing, control, DLQ): acks=all,
 * a few retries, and a fresh producer after any failure, since a kafkajs producer can stay
 * "disconnected" for good (kafkajs#907). Fails with KafkaUnavailableError.
 */
export class ManagedProducer {
  private readonly producer: ProducerSlot;
  private stopped = false;
  private readonly retry: ReturnType<typeof createRetry>;

  constructor(
    createProducer: ProducerFactory,
    retry: RetryOptions = { retries: 3, initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2 },
    private readonly ackTimeoutMs = 10_000,
  ) {
    this.retry = createRetry(retry);
    this.producer = new ProducerSlot(createProducer);
  }

  async start(): Promise<void> {
    await this.producer.get();
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    try {
      await this.retry(async (bail) => {
        if (this.stopped) bail(new KafkaUnavailableError('producer stopped'));
        const producer = await this.producer.get();
        try {
          await producer.sendBatch({ acks: -1, timeout: this.ackTimeoutMs, topicMessages: [{ topic, messages }] });
        } catch (error) {
          this.producer.drop(producer);
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw error;
      const cause = error instanceof RetriesExhaustedError ? error.cause : error;
      throw new KafkaUnavailableError(`could not produce to ${topic}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.producer.close();
  }
}
