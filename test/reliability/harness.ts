// Harness for the reliability suite: the gateway as a real child process
// (`node dist/apps/gateway/src/main.js`), a private embedded PostgreSQL that tests may stop,
// a fresh database per test on the shared server, a QoS 1 load that tracks every PUBACK on
// the client side, and an audit that reads the uplink topic to its end.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import pg from 'pg';
import { createLogger } from '#config';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../apps/fleetmq/src/embedded-database.js';
import type { ReliabilityResult } from '../../bench/lib/reliability-result.js';
import { gitCommit } from '../../bench/lib/repo.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { sleep } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GATEWAY_MAIN = path.join(ROOT, 'dist/apps/gateway/src/main.js');

/** `npm run test:reliability` sets it: the long versions (more clients, longer faults). */
export const LONG = process.env.FLEETMQ_LONG_RELIABILITY === '1';

/** Taken when the test file starts, so the result says whether other work shared the CPUs. */
const LOAD_AVERAGE_AT_START = loadavg();

export function scale<T>(fast: T, long: T): T {
  return LONG ? long : fast;
}

/**
 * The counts of a run: one line on stderr, and with FLEETMQ_RELIABILITY_RESULTS=1 also
 * bench/results/reliability/<test>.<fast|long>.json, which `npm run bench:report` renders into
 * docs/RELIABILITY.md. Opt-in, so a plain `npm test` leaves the committed results alone.
 */
export function report(test: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[reliability] ${test} ${JSON.stringify({ long: LONG, ...figures })}\n`);
  if (process.env.FLEETMQ_RELIABILITY_RESULTS !== '1') return;
  const result: ReliabilityResult = {
    test,
    run: LONG ? 'long' : 'fast',
    finishedAt: new Date().toISOString(),
    commit: gitCommit(ROOT),
    machine: { nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageStart: LOAD_AVERAGE_AT_START },
    figures,
  };
  const dir = path.join(ROOT, 'bench/results/reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${test}.${result.run}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * Ports are picked below Linux's ephemeral range (32768-60999, net.ipv4.ip_local_port_range):
 * a port there that a child process binds seconds later cannot meanwhile become the source port
 * of some outgoing connection, as a port the kernel handed out for `listen(0)` can (the
 * all-in-one connects to Kafka before it binds its MQTT port: CI once saw its own port taken).
 * tools/cluster-local/cluster-local.mjs has the same picker (it runs unbuilt, outside the tests).
 */
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port between ${PICK_FROM} and ${PICK_TO} on ${host}`);
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export function runTag(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

// ------------------------------------------------------------------ gateway process

export interface GatewayProcessOptions {
  databaseUrl: string;
  kafkaBrokers?: string[];
  /** Extra FLEETMQ_* settings (strings, as in the environment). */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --import of a diagnostic module). */
  nodeArgs?: string[];
}

export interface ConsoleProcessOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  adminToken: string;
  /** Added to the console's environment (e.g. FLEETMQ_SESSION_STORE, REDIS_URL, FLEETMQ_HEARTBEAT_MS). */
  env?: Record<string, string>;
}

/** The standalone console (REST API) as a child process, on an ephemeral port, ready once /health/ready answers 200. */
export class ConsoleProcess {
  private child: ChildProcess | undefined;
  private tail = '';
  url = '';

  constructor(private readonly options: ConsoleProcessOptions) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/console/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: this.options.databaseUrl,
        KAFKA_BROKERS: this.options.kafkaBrokers.join(','),
        FLEETMQ_MASTER_KEY: RELIABILITY_MASTER_KEY,
        FLEETMQ_ADMIN_TOKEN: this.options.adminToken,
        FLEETMQ_BIND_HOST: '127.0.0.1',
        FLEETMQ_HTTP_PORT: String(port),
        FLEETMQ_NODE_ID: runTag('console-'),
        LOG_LEVEL: 'warn',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Always drained: a full pipe would block the child's logger.
    const keep = (chunk: Buffer): void => void (this.tail = (this.tail + chunk.toString()).slice(-10_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitFor(async () => (await fetch(`${this.url}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: () => `console readiness:\n${this.tail}`,
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
  }
}

/**
 * The standalone gateway as a child process. Its ports are chosen once, so a restart after
 * a kill listens where the clients reconnect. stdout/stderr are always drained (a full pipe
 * would block the child's logger) and the tail is kept for failure messages.
 */
export class GatewayProcess {
  readonly nodeId = runTag('rel-');
  child: ChildProcess | undefined;
  private tail = '';
  private ports: { mqtt: number; ws: number; http: number } | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  starts = 0;

  constructor(private readonly options: GatewayProcessOptions) {}

  get mqttPort(): number {
    return this.requirePorts().mqtt;
  }
  get wsPort(): number {
    return this.requirePorts().ws;
  }
  get httpPort(): number {
    return this.requirePorts().http;
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  get logTail(): string {
    return this.tail;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} missing: run \`npm run build\` first`);
    this.ports ??= { mqtt: await freePort(), ws: await freePort(), http: await freePort() };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: this.options.databaseUrl,
      FLEETMQ_MASTER_KEY: RELIABILITY_MASTER_KEY,
      FLEETMQ_BIND_HOST: '127.0.0.1',
      FLEETMQ_MQTT_PORT: String(this.ports.mqtt),
      FLEETMQ_WS_PORT: String(this.ports.ws),
      FLEETMQ_HTTP_PORT: String(this.ports.http),
      FLEETMQ_NODE_ID: this.nodeId,
      FLEETMQ_ALLOW_ANONYMOUS: 'true',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // SIGTERM drains; a short window keeps stop() quick (a test of the drain sets its own).
      FLEETMQ_DRAIN_WINDOW_MS: '1000',
      ...(this.options.kafkaBrokers ? { KAFKA_BROKERS: this.options.kafkaBrokers.join(',') } : {}),
      ...this.options.env,
    };
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), GATEWAY_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString()).slice(-20000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    // The ops server starts after the MQTT listeners: once it answers, the gateway takes CONNECTs.
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`gateway exited during start (code ${child.exitCode}):\n${this.tail}`);
      try {
        await fetch(`http://127.0.0.1:${this.ports.http}/health`, { signal: AbortSignal.timeout(1000) });
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`gateway did not answer /health within ${timeoutMs} ms:\n${this.tail}`);
  }

  /** SIGKILL: a crash, nothing flushed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Sends `signal` and resolves with the exit code (null when killed after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const code = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      await this.kill();
      return null;
    }
    return code;
  }

  /** Resident set size in kB, from /proc/<pid>/status. */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!m) throw new Error('no VmRSS in /proc status');
    return Number(m[1]);
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    return res.text();
  }

  /** Sum of a Prometheus metric's samples whose label set contains every `labels` pair. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return metricValue(await this.metricsText(), name, labels);
  }

  private requirePorts(): { mqtt: number; ws: number; http: number } {
    if (!this.ports) throw new Error('gateway not started');
    return this.ports;
  }
}

export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** The key the gateway processes use to decrypt seeded secrets (tests seed with the same one). */
export const RELIABILITY_MASTER_KEY = randomBytes(32).toString('hex');

// ------------------------------------------------------------------ databases

/** A fresh database on the shared test server, so the gateway process migrates its own public schema. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(testDatabaseUrl());
  const name = `rel_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {}) };
}

/**
 * A private PostgreSQL that a test may stop and start again on the same data directory and
 * port; the machine's shared server is never touched. It is started the way `npm start` starts
 * its embedded database (apps/fleetmq/src/embedded-database.ts), so it works as root from a
 * private checkout too. With `logStatements`, every statement the server runs is counted per
 * application name.
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'fleetmq-pg-'));
  port = 0;
  private database: EmbeddedDatabase | undefined;
  /** Statements logged per application_name (needs `logStatements`). */
  readonly statements = new Map<string, number>();

  constructor(private readonly logStatements = false) {
    // As root, the server runs as the `postgres` user, which must traverse the dir.
    chmodSync(this.dir, 0o755);
  }

  get url(): string {
    return `postgres://fleetmq:fleetmq@127.0.0.1:${this.port}/fleetmq`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.database = await startEmbeddedDatabase(this.dir, createLogger('silent'), {
      port: this.port,
      settings: this.logStatements ? { log_statement: 'all', log_line_prefix: 'app=%a ' } : {},
      onLine: this.logStatements ? (line) => this.countStatement(line) : undefined,
    });
  }

  /** Fast shutdown (SIGINT): connections are terminated, the data stays. */
  async stop(): Promise<void> {
    await this.database?.stop();
    this.database = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  statementsOf(applicationName: string): number {
    return this.statements.get(applicationName) ?? 0;
  }

  private countStatement(line: string): void {
    // "app=<name> LOG:  execute <unnamed>: SELECT ..." or "... LOG:  statement: BEGIN"
    const m = /^app=(\S*) LOG:\s+(?:statement|execute [^:]*):/.exec(line);
    if (m) this.statements.set(m[1]!, (this.statements.get(m[1]!) ?? 0) + 1);
  }
}

// ------------------------------------------------------------------ QoS 1 load with client-side PUBACK tracking

export interface LoadOptions {
  url: string;
  clients: number;
  /** Prefix of payloads and client IDs, unique per run. */
  tag: string;
  topic?: string;
  /** Unacknowledged publishes per client before it waits. */
  window?: number;
  /** Pause between publishes of one client. */
  intervalMs?: number;
  /** MQTT.js reconnect period; 0 = no reconnect. */
  reconnectPeriod?: number;
  /** cleanSession; false = persistent sessions (default true). */
  clean?: boolean;
}

interface LoadClient {
  readonly index: number;
  readonly clientId: string;
  readonly client: MqttClient;
  sent: number;
  outstanding: number;
  readonly ackedAt: Map<number, number>;
  failed: number;
  reconnects: number;
}

/**
 * Several MQTT.js clients publishing QoS 1 payloads `<tag>|<client>|<seq>`. A message counts
 * as acknowledged only when MQTT.js calls back without error, i.e. on its PUBACK; the time of
 * each PUBACK is kept to tell acks during a fault window.
 */
export class QosLoad {
  readonly clients: LoadClient[] = [];
  private running = false;
  private pumps: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  get topic(): string {
    return this.options.topic ?? `rel/${this.options.tag}`;
  }

  async start(): Promise<void> {
    const { url, clients, tag } = this.options;
    for (let i = 0; i < clients; i++) {
      const clientId = `${tag}-c${i}`;
      const client = mqttConnect(url, {
        clientId,
        protocolVersion: 4,
        clean: this.options.clean ?? true,
        keepalive: 30,
        connectTimeout: 3000,
        reconnectPeriod: this.options.reconnectPeriod ?? 250,
      });
      const entry: LoadClient = { index: i, clientId, client, sent: 0, outstanding: 0, ackedAt: new Map(), failed: 0, reconnects: 0 };
      client.on('error', () => {});
      client.on('reconnect', () => entry.reconnects++);
      this.clients.push(entry);
    }
    await Promise.all(this.clients.map((c) => new Promise<void>((resolve) => (c.client.connected ? resolve() : c.client.once('connect', () => resolve())))));
    this.running = true;
    this.pumps = this.clients.map((c) => this.pump(c));
  }

  private async pump(c: LoadClient): Promise<void> {
    const window = this.options.window ?? 16;
    const interval = this.options.intervalMs ?? 5;
    while (this.running) {
      if (c.outstanding >= window) {
        await sleep(5);
        continue;
      }
      const seq = c.sent++;
      c.outstanding++;
      c.client.publish(this.topic, `${this.options.tag}|${c.index}|${seq}`, { qos: 1 }, (err) => {
        c.outstanding--;
        if (err) c.failed++;
        else c.ackedAt.set(seq, Date.now());
      });
      await sleep(interval);
    }
  }

  /** Stops publishing and waits up to `timeoutMs` for outstanding PUBACKs. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.running = false;
    await Promise.all(this.pumps);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.clients.some((c) => c.outstanding > 0)) await sleep(50);
  }

  async end(): Promise<void> {
    this.running = false;
    await Promise.all(this.clients.map((c) => new Promise<void>((resolve) => c.client.end(true, {}, () => resolve()))));
  }

  get sent(): number {
    return this.clients.reduce((n, c) => n + c.sent, 0);
  }
  get acked(): number {
    return this.clients.reduce((n, c) => n + c.ackedAt.size, 0);
  }
  get unacked(): number {
    return this.sent - this.acked;
  }
  get reconnects(): number {
    return this.clients.reduce((n, c) => n + c.reconnects, 0);
  }

  /** PUBACKs received in [from, to). */
  ackedBetween(from: number, to: number): number {
    let n = 0;
    for (const c of this.clients) for (const t of c.ackedAt.values()) if (t >= from && t < to) n++;
    return n;
  }

  /** Every acknowledged message as `<client>|<seq>`. */
  ackedIds(): Set<string> {
    const ids = new Set<string>();
    for (const c of this.clients) for (const seq of c.ackedAt.keys()) ids.add(`${c.index}|${seq}`);
    return ids;
  }
}

// ------------------------------------------------------------------ Kafka audit

export function auditKafka(brokers: string[]): Kafka {
  return new kafkajs.Kafka({ clientId: runTag('rel-audit-'), brokers, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

export interface AuditResult {
  /** Records of this run (payload prefix `<tag>|`), duplicates included. */
  records: number;
  /** Distinct `<client>|<seq>` found. */
  found: Set<string>;
  duplicates: number;
  /** Acknowledged but absent from Kafka: must be empty. */
  missing: string[];
  /** Found, per client, out of publish order (a later seq before an earlier one, first occurrences). */
  orderInversions: number;
}

/** High-water marks of `topic` now: where an audit of a shared topic can start. */
export async function topicEnds(brokers: string[], topic: string): Promise<Map<number, number>> {
  const admin = auditKafka(brokers).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topic` from `from` (per partition; the beginning by default) up to the high-water
 * marks taken now, keeps the records of this run and compares them with the acknowledged ids.
 */
export async function auditUplink(
  brokers: string[],
  topic: string,
  tag: string,
  acked: Set<string>,
  options: { from?: Map<number, number>; timeoutMs?: number } = {},
): Promise<AuditResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const kafka = auditKafka(brokers);
  const admin = kafka.admin();
  const groupId = runTag('rel-audit-');
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const p of offsets) {
      const start = Math.max(Number(p.low), options.from?.get(p.partition) ?? 0);
      if (Number(p.high) > start) ends.set(p.partition, Number(p.high));
    }
    // A shared topic is read only from where this run began: the new group starts there.
    if (options.from !== undefined) {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: offsets.map((p) => ({ partition: p.partition, offset: String(Math.max(Number(p.low), options.from!.get(p.partition) ?? 0)) })),
      });
    }
  } finally {
    await admin.disconnect();
  }
  const prefix = `${tag}|`;
  const counts = new Map<string, number>();
  const order = new Map<string, number[]>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const pending = new Set(ends.keys());
    await new Promise<void>((resolve, reject) => {
      if (pending.size === 0) return resolve();
      const timer = setTimeout(() => reject(new Error(`audit of ${topic} incomplete after ${timeoutMs} ms (partitions left: ${[...pending].join(',')})`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const value = message.value?.toString() ?? '';
            if (value.startsWith(prefix)) {
              const [, client, seq] = value.split('|');
              const id = `${client}|${seq}`;
              const seen = counts.get(id) ?? 0;
              counts.set(id, seen + 1);
              if (seen === 0) {
                const list = order.get(client!) ?? [];
                list.push(Number(seq));
                order.set(client!, list);
              }
            }
            if (Number(message.offset) >= ends.get(partition)! - 1) {
              pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  let records = 0;
  for (const n of counts.values()) records += n;
  const found = new Set(counts.keys());
  let orderInversions = 0;
  for (const seqs of order.values()) for (let i = 1; i < seqs.length; i++) if (seqs[i]! < seqs[i - 1]!) orderInversions++;
  return { records, found, duplicates: records - found.size, missing: [...acked].filter((id) => !found.has(id)), orderInversions };
}
