// Helpers for end-to-end tests over the real Kafka brought up by test/global-setup.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Brokers from global setup, or undefined when the run has no Kafka (FLEETMQ_TEST_NO_KAFKA=1). */
export function kafkaBrokers(): string[] | undefined {
  const raw = process.env.KAFKA_BROKERS;
  return raw ? raw.split(',').map((b) => b.trim()) : undefined;
}

/**
 * `describe` when Kafka is there; without it (FLEETMQ_TEST_NO_KAFKA=1) the block is reported as
 * skipped and its body is never run, so it may look up brokers or build fixtures at collection.
 */
export const describeWithKafka = (kafkaBrokers()
  ? describe
  : (name: string) =>
      describe.skip(name, () => {
        it('needs Kafka (FLEETMQ_TEST_NO_KAFKA=1)', () => undefined);
      })) as (name: string, body: () => void) => void;

/** A quiet kafkajs client for test code (assertions, setup), not the code under test. */
export function testKafka(brokers: string[] = testKafkaBrokers(), clientId = 'fleetmq-e2e'): Kafka {
  return new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
}

/** The test Kafka's brokers; throws outside a Kafka run (specs that need it use describeWithKafka). */
export function testKafkaBrokers(): string[] {
  const brokers = kafkaBrokers();
  if (!brokers) throw new Error('KAFKA_BROKERS is not set (is test/global-setup.ts running?)');
  return brokers;
}

let counter = 0;

/** A unique name per call, so tests never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Creates a topic with a unique name (waits for its leaders) and returns the name. */
export async function createTopic(prefix = 'e2e', partitions = 6, kafka: Kafka = testKafka()): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

export async function deleteTopics(topics: string[], kafka: Kafka = testKafka()): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } catch {
    // best effort: cleanup must not fail a test
  } finally {
    await admin.disconnect();
  }
}

export type ConsumedRecord = KafkaMessage & { topic: string; partition: number };

/** The current end offset of each partition: pass it as `startAt` to read only what comes after. */
export async function endOffsets(topic: string, kafka: Kafka = testKafka()): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `count` records of `topic` with a throwaway group, from the beginning or from `startAt`
 * (see endOffsets: use it on shared topics such as fleetmq.uplink), then stops.
 * Rejects after `timeoutMs` naming how many arrived.
 */
export async function consumeRecords(
  topic: string,
  count: number,
  options: { timeoutMs?: number; kafka?: Kafka; filter?: (r: ConsumedRecord) => boolean; startAt?: Map<number, string> } = {},
): Promise<ConsumedRecord[]> {
  const kafka = options.kafka ?? testKafka();
  const consumer = kafka.consumer({ groupId: uniqueName('e2e-reader'), maxWaitTimeInMs: 200 });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumed ${records.length} of ${count} records from ${topic} in ${options.timeoutMs ?? 20_000} ms`)),
        options.timeoutMs ?? 20_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic: t, partition, message }) => {
            const record: ConsumedRecord = { ...message, topic: t, partition };
            if (options.filter && !options.filter(record)) return;
            records.push(record);
            if (records.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .then(() => {
          for (const [partition, offset] of options.startAt ?? []) consumer.seek({ topic, partition, offset });
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/**
 * A second, private single-node Kafka (its own home folder and port) for fault tests that stop
 * or kill the broker without touching the shared one. A restart keeps the port, so clients
 * reconnect to the address they know, and the data, so records survive.
 */
export class PrivateKafka {
  readonly home = mkdtempSync(path.join(tmpdir(), 'fleetmq-kafka-'));
  brokers: string[] = [];
  private port: string | undefined;

  async start(): Promise<string[]> {
    const { stdout } = await run('bash', [path.join(ROOT, 'tools/kafka/start.sh')], {
      env: { ...process.env, FLEETMQ_KAFKA_HOME: this.home, FLEETMQ_KAFKA_PORT: this.port ?? '', FLEETMQ_KAFKA_HEAP: '384m' },
      timeout: 180_000,
    });
    const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1]?.trim();
    if (!brokers) throw new Error(`private Kafka did not start:\n${stdout}`);
    this.brokers = brokers.split(',');
    this.port = this.brokers[0]!.split(':').pop();
    return this.brokers;
  }

  /**
   * A broker that was just formatted answers metadata before its group coordinator is ready;
   * consumer groups fail with NOT_COORDINATOR until then. Resolves once it answers.
   */
  async waitForCoordinator(timeoutMs = 60_000): Promise<void> {
    const admin = testKafka(this.brokers).admin();
    await admin.connect();
    try {
      await waitFor(
        () => admin.fetchOffsets({ groupId: 'fleetmq-test-warmup', topics: [] }).then(() => true, () => false),
        { timeoutMs, intervalMs: 250, what: 'the private broker\'s group coordinator' },
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** Clean shutdown, or SIGKILL with `kill`; data stays for a restart on the same port. */
  async stop(kill = false): Promise<void> {
    await run('bash', [path.join(ROOT, 'tools/kafka/stop.sh'), ...(kill ? ['--kill'] : [])], {
      env: { ...process.env, FLEETMQ_KAFKA_HOME: this.home },
      timeout: 60_000,
    });
  }

  /** Stops the broker and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop(true).catch(() => {});
    rmSync(this.home, { recursive: true, force: true });
  }
}
