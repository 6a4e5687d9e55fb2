import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Histogram } from './histogram.js';
import { nowMs, readPayloadHeader, writePayloadHeader } from './mqtt-client.js';
import { ReceiptBook, type ReceiptData } from './receipts.js';
import type { KafkaConsumeSpec, KafkaProduceSpec } from './protocol.js';

export interface KafkaCounters extends ReceiptData {
  foreign: number;
  /** Gateway (fleetmq-ts header) -> backend consumer, all run tags. */
  fromGateway: ReturnType<Histogram['toJSON']>;
}

/** The backend side of FleetMQ benchmarks: a plain kafkajs consumer and producer. */
export class KafkaSide {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly book = new ReceiptBook();
  private fromGateway = new Histogram();

  constructor(private readonly progress: (text: string) => void) {}

  private client(brokers: string[], clientId: string): Kafka {
    return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
  }

  /** Starts consuming from the end of `topic`; resolves once the group has joined. */
  async consume(spec: KafkaConsumeSpec): Promise<void> {
    const consumer = this.client(spec.brokers, 'fleetmq-bench-consumer').consumer({
      groupId: spec.groupId, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 50, minBytes: 1,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: spec.topic, fromBeginning: false });
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    });
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        const now = nowMs();
        for (const m of batch.messages) {
          const header = m.value ? readPayloadHeader(m.value) : undefined;
          if (header === undefined) {
            this.book.foreign++;
            continue;
          }
          this.book.record(header.runTag, now, header.sentAt);
          const ts = m.headers?.['fleetmq-ts'];
          if (ts !== undefined) this.fromGateway.record((now - Number(ts.toString())) * 1000);
        }
      },
    });
    await joined;
    // The first fetch sets the starting offsets (latest); give it a moment before load starts.
    await new Promise((r) => setTimeout(r, 1500));
    this.progress(`kafka consumer on ${spec.topic} joined`);
  }

  counters(runTag: number, remove: boolean): KafkaCounters {
    const out = { ...this.book.take(runTag, remove), foreign: this.book.foreign, fromGateway: this.fromGateway.toJSON() };
    if (remove) this.fromGateway = new Histogram();
    return out;
  }

  /** Produces records (e.g. downlink commands) whose payload carries the send time. */
  async produce(spec: KafkaProduceSpec): Promise<{ sent: number; elapsedMs: number }> {
    if (!this.producer) {
      this.producer = this.client(spec.brokers, 'fleetmq-bench-producer').producer({ allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    const t0 = nowMs();
    let sent = 0;
    for (let i = 0; i < spec.records.length; i += spec.batch) {
      const slice = spec.records.slice(i, i + spec.batch);
      const t = nowMs();
      await this.producer.send({
        topic: spec.topic,
        acks: -1,
        messages: slice.map((r) => {
          const value = Buffer.alloc(spec.payloadBytes, 0x61);
          writePayloadHeader(value, 0, spec.runTag, t);
          return { key: r.key, value, headers: r.headers };
        }),
      });
      sent += slice.length;
      if (spec.intervalMs > 0) await new Promise((r) => setTimeout(r, spec.intervalMs));
    }
    return { sent, elapsedMs: nowMs() - t0 };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.producer = undefined;
  }
}
