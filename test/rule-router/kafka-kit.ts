import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository } from '#domain/persistence';
import { KafkaMessaging, PRESENCE_TOPIC, UPLINK_TOPIC } from '#messaging';
import { RuleRouter, type RuleRouterOptions } from '../../apps/rule-router/src/index.js';
import { testKafkaBrokers } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export const header = (m: KafkaMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

import { startGroupAtEnd } from '../../bench/lib/group-offsets.js';

export { startGroupAtEnd };

/**
 * A backend consumer group collecting everything of one topic. `fromLatest` commits the current
 * end offsets for the new group first, so a shared topic's history is skipped without a race.
 */
export class Collector {
  readonly messages: KafkaMessage[] = [];
  /** Date.now() at the arrival of each of `messages`. */
  readonly receivedAt: number[] = [];
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly filter: (m: KafkaMessage) => boolean = () => true,
  ) {}

  async start(fromLatest: boolean): Promise<this> {
    const groupId = unique('test-backend');
    // Committing offsets for a fresh group costs seconds (admin.setOffsets); skipping the
    // records below the current end offsets while reading from the beginning does not.
    const startAt = new Map<number, bigint>();
    if (fromLatest) {
      const admin = this.kafka.admin();
      await admin.connect();
      for (const o of await admin.fetchTopicOffsets(this.topic)) startAt.set(o.partition, BigInt(o.high));
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    // fromLatest: seek past what the topic held, rather than read it all and skip it (a shared
    // broker's fleetmq.downlink may hold millions of records from earlier runs).
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        for (const partition of e.payload.memberAssignment[this.topic] ?? []) {
          const offset = startAt.get(partition);
          if (offset !== undefined) consumer.seek({ topic: this.topic, partition, offset: offset.toString() });
        }
        resolve();
      }),
    );
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (BigInt(message.offset) < (startAt.get(partition) ?? 0n)) return;
        if (!this.filter(message)) return;
        this.messages.push(message);
        this.receivedAt.push(Date.now());
      },
    });
    await joined;
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  waitForCount(n: number, timeoutMs = 15_000): Promise<KafkaMessage[]> {
    return waitFor(() => this.messages.length >= n && this.messages, { timeoutMs, what: `${n} records on ${this.topic} (have ${this.messages.length})` });
  }
}

/**
 * A rule router over real Kafka and PostgreSQL, not started: its outflow and status groups
 * committed at the end of the shared internal topics (they keep other runs' records), with the
 * control channels of the router and of a console that announces rule changes.
 */
export async function routerFixture(
  kafka: Kafka,
  ds: DataSource,
  options: Partial<RuleRouterOptions> & Pick<RuleRouterOptions, 'routerId' | 'outflowGroupId' | 'statusGroupId'>,
  nodeIdPrefix: string,
  metricsRegistry = new Registry(),
): Promise<{ router: RuleRouter; messaging: KafkaMessaging; console: KafkaMessaging }> {
  const logger = createLogger('silent');
  await startGroupAtEnd(kafka, options.outflowGroupId, UPLINK_TOPIC);
  await startGroupAtEnd(kafka, options.statusGroupId, PRESENCE_TOPIC);
  const messagingOptions = { brokers: testKafkaBrokers(), partitions: 6, replicationFactor: 1, createTopics: false, uplink: { thread: 'main' as const, lingerMs: 1, maxBatchRecords: 100, maxQueuedRecords: 1000, maxQueuedQos0: 1000 }, logger };
  const messaging = new KafkaMessaging({ ...messagingOptions, role: 'rule-router', nodeId: `${nodeIdPrefix}-router` });
  const console = new KafkaMessaging({ ...messagingOptions, role: 'console', nodeId: `${nodeIdPrefix}-console` });
  const router = new RuleRouter({
    kafka,
    control: messaging.control(),
    ruleSource: new TypeOrmRuleSourceRepository(ds),
    ruleCounters: new TypeOrmRuleCounterRepository(ds),
    logger,
    metricsRegistry,
    options,
  });
  return { router, messaging, console };
}
