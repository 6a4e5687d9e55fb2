import type { Message } from 'kafkajs';
import { buildDownlinkRecord } from '../codec/downlink.codec.js';
import { HEADERS } from '../headers.js';
import type { DownlinkSink } from '../ports.js';
import { DOWNLINK_TOPIC } from '../topics.js';
import type { DownlinkInput } from '../types.js';
import type { ManagedProducer } from './managed-producer.js';

/**
 * Produces messages for devices to `fleetmq.downlink` (console, rule-router), keyed per target
 * so each device receives them in order. Resolves with the msgIds once Kafka acknowledged.
 */
export class DownlinkPublisher implements DownlinkSink {
  constructor(
    private readonly producer: ManagedProducer,
    private readonly topic: string = DOWNLINK_TOPIC,
  ) {}

  async start(): Promise<void> {
    await this.producer.start();
  }

  async stop(): Promise<void> {
    await this.producer.stop();
  }

  async publish(msg: DownlinkInput): Promise<string> {
    const [id] = await this.publishMany([msg]);
    return id!;
  }

  async publishMany(msgs: readonly DownlinkInput[]): Promise<string[]> {
    if (msgs.length === 0) return [];
    const records: Message[] = msgs.map((m) => buildDownlinkRecord(m));
    await this.producer.send(this.topic, records);
    return records.map((r) => String((r.headers as Record<string, string>)[HEADERS.msgId]));
  }
}
