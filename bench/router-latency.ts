/**
 * Uplink record -> backend consumer latency through a rule router process, at a steady load
 * (moved here from test/: a timing target is a benchmark, not a test). Prints percentiles of the
 * routed records and, for comparison, of the same records read straight from fleetmq.uplink
 * (the share that is Kafka's and this machine's).
 *
 *   npm run bench:router-latency -- [--rate 1000] [--seconds 20]
 *
 * Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; a fresh
 * schema is made and dropped) and Kafka (KAFKA_BROKERS, else tools/kafka).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { createLogger } from '#config';
import { InstanceEntity, openDataSource, RuleEntity } from '#domain/persistence';
import { buildUplinkRecord, createKafka, ensureTopics, HEADERS, headerText, INTERNAL_TOPICS, UPLINK_TOPIC } from '#messaging';
import { startGroupAtEnd } from './lib/group-offsets.js';
import { benchKafkaBrokers } from './lib/local-kafka.js';
import { REPO_ROOT } from './lib/repo.js';

/** Simulated devices; records are spread over them as independent publishers. */
const DEVICES = 100;
/** The load is sent in slices this often (ms), like many devices publishing independently. */
const TICK_MS = 10;
/** Longest the routed records may take to arrive once sent, before the run is declared failed. */
const DRAIN_TIMEOUT_MS = 60_000;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const log = (line: string): void => {
  process.stderr.write(`[router-latency] ${line}\n`);
};

/** Resolves once `count()` reaches `n`, checking after each arrival (`onArrival` is called per record). */
function arrivals(): { onArrival: () => void; reach: (n: () => boolean, timeoutMs: number) => Promise<void> } {
  let wake: (() => void) | null = null;
  return {
    onArrival: () => wake?.(),
    reach: (done, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not all records routed within ${timeoutMs} ms`)), timeoutMs);
        wake = () => {
          if (!done()) return;
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        wake();
      }),
  };
}

async function main(): Promise<void> {
  const rate = Number(option('rate', '1000'));
  const seconds = Number(option('seconds', '20'));
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const brokers = (await benchKafkaBrokers(log)).split(',');
  const tag = `rrlat-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const schema = tag.replace(/-/g, '_');
  const instanceId = `fmq-${Date.now().toString(36).slice(-6)}l`;
  const target = `${tag}.telemetry`;
  const logger = createLogger('silent');

  const ds = await openDataSource(databaseUrl, { schema, poolSize: 2 });
  await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'latency' });
  const rules = ds.getRepository(RuleEntity);
  await rules.save(rules.create({ instanceId, name: 'lat', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: target }, enabled: true }));
  const kafka = createKafka({ brokers, clientId: 'router-latency', logger });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [...INTERNAL_TOPICS], 6, 1);
  await ensureTopics(admin, [target], 6, 1);
  await admin.disconnect();
  const group = `${tag}-out`;
  await startGroupAtEnd(kafka, group, UPLINK_TOPIC);

  const routerId = `${tag}-router`;
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'test/rule-router/fixtures/router-process.mjs'),
      JSON.stringify({
        routerId,
        brokers,
        databaseUrl,
        schema,
        options: { routerId, outflowGroupId: group, flows: { outflow: true, inflow: false, status: false }, tuning: { sessionTimeout: 10_000, heartbeatInterval: 1_000 } },
      }),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const joined = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('"joined"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`router process exited with ${code} before joining`)));
  });

  const ts = (message: KafkaMessage): number => Number(headerText(message.headers, HEADERS.ts));
  const latencies: number[] = [];
  const routed = arrivals();
  const backend = kafka.consumer({ groupId: `${tag}-backend`, maxWaitTimeInMs: 100 });
  await backend.connect();
  await backend.subscribe({ topic: target, fromBeginning: true });
  await backend.run({
    eachMessage: async ({ message }) => {
      latencies.push(Date.now() - ts(message));
      routed.onArrival();
    },
  });
  const direct: number[] = [];
  const tap = kafka.consumer({ groupId: `${tag}-tap`, maxWaitTimeInMs: 100 });
  await startGroupAtEnd(kafka, `${tag}-tap`, UPLINK_TOPIC);
  await tap.connect();
  await tap.subscribe({ topic: UPLINK_TOPIC, fromBeginning: true });
  await tap.run({
    eachMessage: async ({ message }) => {
      if (headerText(message.headers, HEADERS.instance) === instanceId) direct.push(Date.now() - ts(message));
    },
  });
  await joined;

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const total = rate * seconds;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const t0 = Date.now();
  for (let sent = 0; sent < total; sent += perTick) {
    const now = Date.now();
    const messages = [];
    for (let j = sent; j < Math.min(total, sent + perTick); j++) {
      const device = j % DEVICES;
      messages.push(buildUplinkRecord({ instanceId, clientId: `GID_lat@@@d${device}`, topic: `telemetry/d${device}`, qos: 1, retain: false, payload: Buffer.from(`{"seq":${j},"t":21.5}`), ts: now }, 'latency'));
    }
    // Not awaited before the next slice: a device does not wait for others.
    void producer.send({ topic: UPLINK_TOPIC, acks: -1, messages });
    const due = t0 + ((sent + perTick) / rate) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  await routed.reach(() => latencies.length >= total, DRAIN_TIMEOUT_MS);
  const sorted = [...latencies].sort((a, b) => a - b);
  const tapped = [...direct].sort((a, b) => a - b);
  process.stdout.write(
    `router latency at ${rate} msg/s for ${seconds} s (${total} records, ${DEVICES} clients): median ${percentile(sorted, 50)} ms, p90 ${percentile(sorted, 90)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms\n`,
  );
  process.stdout.write(`same records read directly from fleetmq.uplink: median ${percentile(tapped, 50)} ms, p99 ${percentile(tapped, 99)} ms\n`);

  await producer.disconnect();
  await backend.disconnect();
  await tap.disconnect();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  await ds.destroy();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
