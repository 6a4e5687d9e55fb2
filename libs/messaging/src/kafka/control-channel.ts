import type { EachMessagePayload, Kafka } from 'kafkajs';
import type { Logger } from '#config';
import { buildControlRecord, parseControlRecord } from '../codec/control.codec.js';
import type { ControlChannel, ControlHandler } from '../ports.js';
import { CONTROL_TOPIC, controlGroup } from '../topics.js';
import type { ControlCommand } from '../types.js';
import { GroupConsumer } from './group-consumer.js';
import type { ManagedProducer } from './managed-producer.js';

export interface KafkaControlChannelOptions {
  kafka: Kafka;
  producer: ManagedProducer;
  role: string;
  nodeId: string;
  logger: Logger;
  topic?: string;
}

/**
 * `fleetmq.control` for one process: its own group (`fleetmq-control-<role>-<nodeId>`) that never
 * commits, so each start begins at the latest command: a restarted process does not replay
 * old kicks and revocations (it reloads state from PostgreSQL instead).
 */
export class KafkaControlChannel implements ControlChannel {
  readonly counters = { received: 0, malformed: 0, handlerErrors: 0 };
  private readonly group: GroupConsumer;
  private readonly topic: string;

  constructor(private readonly opts: KafkaControlChannelOptions) {
    this.topic = opts.topic ?? CONTROL_TOPIC;
    this.group = new GroupConsumer({
      kafka: opts.kafka,
      groupId: controlGroup(opts.role, opts.nodeId),
      topic: this.topic,
      logger: opts.logger,
      autoCommit: false,
    });
  }

  async start(handler: ControlHandler): Promise<void> {
    await this.group.start((payload) => this.handle(payload, handler));
  }

  async stop(): Promise<void> {
    await this.group.stop();
  }

  async publish(command: ControlCommand): Promise<void> {
    const stamped: ControlCommand = command.ts === undefined ? { ...command, ts: Date.now() } : command;
    await this.opts.producer.send(this.topic, [buildControlRecord(stamped)]);
  }

  private async handle({ partition, message }: EachMessagePayload, handler: ControlHandler): Promise<void> {
    this.counters.received++;
    const parsed = parseControlRecord(message);
    if (!parsed.ok) {
      this.counters.malformed++;
      this.opts.logger.warn({ partition, offset: message.offset, reason: parsed.error.reason }, 'malformed control command ignored');
      return;
    }
    try {
      await handler(parsed.value);
    } catch (error) {
      this.counters.handlerErrors++;
      this.opts.logger.error({ err: error, type: parsed.value.type }, 'control handler failed');
    }
  }
}
