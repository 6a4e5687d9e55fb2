import type { Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import type { ProducerLike } from '../kafka/producer-like.js';

/** One sendBatch call, settled by the test (or automatically, depending on the fake's mode). */
export interface PendingSend {
  producer: number;
  messages: Message[];
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A stand-in for kafkajs producers, for unit tests: records every batch in order. In 'ack'
 * mode each send succeeds on the next tick, in 'fail' mode it fails, in 'manual' mode the test
 * settles `pending` itself.
 */
export class FakeKafka {
  mode: 'ack' | 'fail' | 'manual' = 'ack';
  failWith: () => Error = () => new Error('Connection error: ECONNREFUSED');
  connectFails = false;
  readonly sent: PendingSend[] = [];
  readonly acked: Message[][] = [];
  readonly pending: PendingSend[] = [];
  created = 0;
  disconnected = 0;
  inFlight = 0;
  maxInFlight = 0;

  readonly factory = (): ProducerLike => {
    const id = ++this.created;
    return {
      connect: async () => {
        if (this.connectFails) throw new Error('KafkaJSConnectionError: Connection error');
      },
      disconnect: async () => {
        this.disconnected++;
      },
      sendBatch: (batch: ProducerBatch) => this.sendBatch(id, batch),
    };
  };

  private sendBatch(producer: number, batch: ProducerBatch): Promise<RecordMetadata[]> {
    const messages = batch.topicMessages?.flatMap((t) => t.messages) ?? [];
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const send: PendingSend = {
        producer,
        messages,
        resolve: () => {
          this.inFlight--;
          this.acked.push(messages);
          resolve([]);
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      };
      this.sent.push(send);
      if (this.mode === 'manual') this.pending.push(send);
      else if (this.mode === 'ack') setImmediate(send.resolve);
      else setImmediate(() => send.reject(this.failWith()));
    });
  }

  /** Values of every acknowledged record, in acknowledgement order. */
  ackedValues(): string[] {
    return this.acked.flat().map((m) => String(m.value));
  }
}
