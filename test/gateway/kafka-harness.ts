import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { SecretBox, computeSignature, parseMasterKey } from '#auth';
import { createLogger, loadConfig } from '#config';
import {
  TypeOrmAccessKeyRepository,
  TypeOrmCredentialLookupRepository,
  TypeOrmGroupRepository,
  TypeOrmInstanceRepository,
  TypeOrmParentTopicRepository,
  createGatewayStateRepositories,
  openDataSource,
} from '#domain/persistence';
import { createKafka, createMessaging, type Messaging } from '#messaging';
import { KafkaBridge } from '../../apps/gateway/src/bridge/kafka-bridge.js';
import { createGateway, type Gateway } from '../../apps/gateway/src/gateway.js';
import { testDatabaseUrl } from '../helpers/database.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const quietLogger = createLogger('silent');

export function testKafka(brokers: string[]): Kafka {
  return createKafka({ brokers, clientId: `fleetmq-test-${randomBytes(3).toString('hex')}`, logger: quietLogger });
}

export interface Collected {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from the beginning with a fresh group and keeps the records a filter selects;
 * tests filter on unique instance/client IDs so other tests' records do not matter.
 */
export class RecordCollector {
  readonly records: Collected[] = [];
  private consumer: Consumer | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly filter: (m: KafkaMessage) => boolean,
  ) {}

  /**
   * 'end' (default): only records produced after start() resolved, so a busy shared topic costs
   * nothing to skip; 'beginning': everything (a private broker).
   */
  async start(from: 'end' | 'beginning' = 'end'): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `fleetmq-test-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    let ends: Array<{ partition: number; high: string }> = [];
    if (from === 'end') {
      const admin = this.kafka.admin();
      await admin.connect();
      ends = await admin.fetchTopicOffsets(this.topic);
      await admin.disconnect();
    }
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: from === 'beginning' });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (!this.filter(message)) return;
        this.records.push({ topic, partition, message });
        for (const w of this.waiters.splice(0)) w();
      },
    });
    for (const p of ends) consumer.seek({ topic: this.topic, partition: p.partition, offset: p.high });
    await joined;
  }

  async waitFor(count: number, timeoutMs = 20_000): Promise<Collected[]> {
    return this.waitUntil((records) => records.length >= count, timeoutMs, `${count} records`);
  }

  /** The records selected by `select` once there are at least `count` of them. */
  async waitForMatching(select: (m: KafkaMessage) => boolean, count: number, timeoutMs = 20_000): Promise<Collected[]> {
    let found: Collected[] = [];
    await this.waitUntil(
      (records) => (found = records.filter((r) => select(r.message))).length >= count,
      timeoutMs,
      `${count} matching records`,
    );
    return found;
  }

  async waitUntil(done: (records: Collected[]) => boolean, timeoutMs = 20_000, what = 'records'): Promise<Collected[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.records)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.topic}: no ${what} after ${timeoutMs} ms (${this.records.length} collected)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.records;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export function header(m: KafkaMessage, name: string): string | undefined {
  const v = m.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

export async function rawProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export const { CompressionTypes } = kafkajs;

export function uniqueId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

// ------------------------------------------------------------------ a gateway node with its bridge

export const MASTER_KEY = randomBytes(32).toString('hex');

export interface TestNode {
  gateway: Gateway;
  bridge: KafkaBridge;
  messaging: Messaging;
  nodeId: string;
  port: number;
  url: string;
  /** The order of main.ts: stop accepting + close clients, bridge (drain), messaging. */
  stop(): Promise<void>;
}

export interface NodeOptions {
  brokers: string[];
  dataSource: DataSource;
  nodeId?: string;
  env?: Record<string, string>;
}

export async function startNode(opts: NodeOptions): Promise<TestNode> {
  const nodeId = opts.nodeId ?? uniqueId('node-');
  const config = loadConfig('gateway', {
    DATABASE_URL: testDatabaseUrl(),
    FLEETMQ_MASTER_KEY: MASTER_KEY,
    FLEETMQ_NODE_ID: nodeId,
    FLEETMQ_BIND_HOST: '127.0.0.1',
    FLEETMQ_MQTT_PORT: '0',
    FLEETMQ_WS_PORT: '0',
    FLEETMQ_HTTP_PORT: '0',
    FLEETMQ_ALLOW_ANONYMOUS: 'true',
    FLEETMQ_SESSION_FLUSH_MS: '100',
    FLEETMQ_HEARTBEAT_MS: '300',
    KAFKA_BROKERS: opts.brokers.join(','),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const logger = createLogger(config.logLevel, { node: nodeId });
  const box = new SecretBox(parseMasterKey(MASTER_KEY));
  const messaging = createMessaging(config, logger);
  await messaging.start();
  const gateway = createGateway({
    config,
    credentials: new TypeOrmCredentialLookupRepository(opts.dataSource, (boxed) => box.decrypt(boxed)),
    logger,
  });
  const bridge = new KafkaBridge({ gateway, messaging, state: createGatewayStateRepositories(opts.dataSource), config, logger, drainTimeoutMs: 5_000 });
  await bridge.start();
  const ports = await gateway.start();
  let stopped = false;
  return {
    gateway,
    bridge,
    messaging,
    nodeId,
    port: ports.mqtt,
    url: `mqtt://127.0.0.1:${ports.mqtt}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.stop();
      await bridge.stop();
      await messaging.stop();
    },
  };
}

/** An instance with one parent topic, one group and an access key (PUB+SUB); returns what a device needs. */
export async function createTenant(ds: DataSource, parentTopic = 'telemetry', groupId = 'GID_test') {
  const instanceId = `fmq-${randomBytes(4).toString('hex')}`;
  const accessKeyId = `AK${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(16).toString('base64url');
  const box = new SecretBox(parseMasterKey(MASTER_KEY));
  await new TypeOrmInstanceRepository(ds).create({ id: instanceId, name: instanceId, description: 'kafka e2e' });
  await new TypeOrmParentTopicRepository(ds).create({ instanceId, name: parentTopic, description: '' });
  await new TypeOrmGroupRepository(ds).create({ instanceId, groupId, description: '' });
  await new TypeOrmAccessKeyRepository(ds).create({ accessKeyId, instanceId, secretEncrypted: box.encrypt(secret), permission: 'ALL', description: '' });
  return {
    instanceId,
    parentTopic,
    groupId,
    accessKeyId,
    /** MQTT username/password of the signature mode for `clientId`. */
    credentials(clientId: string) {
      return { username: `Signature|${accessKeyId}|${instanceId}`, password: computeSignature(secret, clientId) };
    },
  };
}

export async function openTestDataSource(schema: string): Promise<DataSource> {
  return openDataSource(testDatabaseUrl(), { schema, poolSize: 4 });
}
