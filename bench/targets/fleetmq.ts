import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SecretBox } from '#auth';
import { openDataSource } from '#domain/persistence';
import { buildDownlinkRecord } from '#messaging';
import { benchKafkaBrokers } from '../lib/local-kafka.js';
import type { Auth } from '../lib/protocol.js';
import { PrivateRedisServer } from '../lib/redis-server.js';
import { packageVersion, REPO_ROOT } from '../lib/repo.js';
import { ChildBroker } from './child-broker.js';
import { freePort } from './peers.js';
import type { Endpoint, StartOptions, Target } from './target.js';

/** Gateway counters the reconnect storm reports as deltas. */
export const FLEETMQ_METRICS = ['fleetmq_gateway_connects_total', 'fleetmq_gateway_auth_failures_total', 'fleetmq_gateway_disconnects_total'];

const ENTRIES = { gateway: 'dist/apps/gateway/src/main.js', fleetmq: 'dist/apps/fleetmq/src/main.js' } as const;

/** Where the gateways keep MQTT sessions: their memory (the default) or one redis-server of the bench's own. */
export type BenchSessionStore = 'memory' | 'redis';

export function fleetMqAvailable(): boolean {
  return existsSync(join(REPO_ROOT, ENTRIES.gateway));
}

const BENCH_DB = process.env.FLEETMQ_BENCH_DB ?? 'fleetmq_bench';
const ADMIN_URL = process.env.FLEETMQ_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INSTANCE_ID = 'fmq-bench01';
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const GROUP_ID = 'GID_bench';
const ACCESS_KEY_ID = 'LTAIbenchaccess01';

/** A database of the same server other than the bench's: watching the bench's backends from there adds none. */
export function benchAdminUrl(): string {
  return ADMIN_URL;
}

/** The database the FleetMQ targets' gateways use (dropped and created afresh by the first start). */
export function benchDatabaseUrl(): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${BENCH_DB}`;
  return u.toString();
}


/** Shared by both FleetMQ modes: Kafka, a fresh database with one signature tenant, a master key. */
interface Environment {
  kafkaBrokers: string[];
  masterKey: string;
  secret: string;
}
let environment: Promise<Environment> | undefined;
/** Tiers started by this bench process: each gets a downlink consumer group of its own. */
let tiersStarted = 0;

async function prepareEnvironment(log: (line: string) => void): Promise<Environment> {
  const brokers = await benchKafkaBrokers(log);
  log(`fresh database ${BENCH_DB}`);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DB}`);
  } finally {
    await admin.end();
  }
  const ds = await openDataSource(benchDatabaseUrl());
  await ds.runMigrations();
  await ds.destroy();
  const masterKey = randomBytes(32).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const client = new pg.Client({ connectionString: benchDatabaseUrl() });
  await client.connect();
  try {
    // The signature-mode tenant, written as the console would (secret encrypted under the master key).
    await client.query(`INSERT INTO instances (id, name, description) VALUES ($1, 'bench', 'benchmark tenant')`, [INSTANCE_ID]);
    await client.query(`INSERT INTO parent_topics (instance_id, name) VALUES ($1, 'bench')`, [INSTANCE_ID]);
    await client.query(`INSERT INTO groups (instance_id, group_id) VALUES ($1, $2)`, [INSTANCE_ID, GROUP_ID]);
    const boxed = new SecretBox(Buffer.from(masterKey, 'hex')).encrypt(secret);
    await client.query(
      `INSERT INTO access_keys (access_key_id, instance_id, secret_encrypted, permission) VALUES ($1, $2, $3, 'ALL')`,
      [ACCESS_KEY_ID, INSTANCE_ID, boxed],
    );
  } finally {
    await client.end();
  }
  return { kafkaBrokers: brokers.split(','), masterKey, secret };
}

/** FleetMQ gateway processes in anonymous mode (`default` instance) or signature mode. */
export class FleetMqTarget implements Target {
  readonly isFleetMq = true;
  readonly multiProcess = true;
  readonly p2pNeedsSubscribe = false;
  readonly topicRoot = 'bench';
  readonly name: string;
  readonly description: string;
  readonly idPrefix: string;
  auth: Auth = { mode: 'none' };
  kafkaBrokers?: string[];
  endpoints: Endpoint[] = [];
  private brokers: ChildBroker[] = [];
  private redis: PrivateRedisServer | undefined;
  private readonly instanceId: string;

  constructor(
    private readonly mode: 'anonymous' | 'signature',
    private readonly entry: 'gateway' | 'fleetmq',
    private readonly log: (line: string) => void,
    private readonly sessionStore: BenchSessionStore = 'memory',
  ) {
    // Named apart so a run (and its ratios) never mixes the two stores up.
    this.name = `${mode === 'anonymous' ? 'fleetmq-anon' : 'fleetmq-sig'}${sessionStore === 'redis' ? '-redis' : ''}`;
    this.description = `FleetMQ ${entry === 'gateway' ? 'gateway process(es)' : 'all-in-one process(es)'}, ${mode === 'anonymous' ? 'anonymous clients in the default instance' : 'signature auth (access key) in a tenant instance'}, Kafka acks=all${sessionStore === 'redis' ? ', sessions in a private redis-server (FLEETMQ_SESSION_STORE=redis)' : ''}`;
    this.idPrefix = mode === 'anonymous' ? 'bench-' : `${GROUP_ID}@@@d`;
    this.instanceId = mode === 'anonymous' ? 'default' : INSTANCE_ID;
  }

  async version(): Promise<string> {
    return `${packageVersion('aedes') === 'unknown' ? '' : `aedes ${packageVersion('aedes')}, `}kafkajs ${packageVersion('kafkajs')}`;
  }

  async start(opts: StartOptions): Promise<void> {
    environment ??= prepareEnvironment(this.log);
    const env = await environment;
    this.kafkaBrokers = env.kafkaBrokers;
    if (this.mode === 'signature') this.auth = { mode: 'signature', accessKeyId: ACCESS_KEY_ID, secret: env.secret, instanceId: INSTANCE_ID };
    // A fresh Redis per start, as every broker here starts fresh: no sessions left from an earlier scenario.
    if (this.sessionStore === 'redis') {
      this.redis = new PrivateRedisServer();
      await this.redis.start();
      this.log(`private redis-server at ${this.redis.url}`);
    }
    const downlinkGroup = `bench-${this.name}-${RUN_ID}-tier${tiersStarted++}-downlink`;
    for (let i = 0; i < opts.processes; i++) {
      const [mqttPort, httpPort, wsPort, mqttsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const broker = await ChildBroker.start({
        script: join(REPO_ROOT, ENTRIES[this.entry]),
        env: {
          ...process.env,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          DATABASE_URL: benchDatabaseUrl(),
          KAFKA_BROKERS: env.kafkaBrokers.join(','),
          FLEETMQ_MASTER_KEY: env.masterKey,
          FLEETMQ_ADMIN_TOKEN: 'bench-admin-token-0123456789',
          FLEETMQ_ALLOW_ANONYMOUS: this.mode === 'anonymous' ? 'true' : 'false',
          FLEETMQ_BIND_HOST: '127.0.0.1',
          FLEETMQ_MQTT_PORT: String(mqttPort),
          FLEETMQ_HTTP_PORT: String(httpPort),
          FLEETMQ_WS_PORT: String(wsPort),
          FLEETMQ_MQTTS_PORT: String(mqttsPort),
          // Unique per run: the node's downlink group is named after it, and two benchmarks on one
          // Kafka with the same node ID would split the downlink partitions between them.
          FLEETMQ_NODE_ID: `bench-${this.name}-${i}-${RUN_ID}`,
          // The Redis store's tier-wide downlink group (unused with memory): a group shared with
          // other runs or tests on the same Kafka would hand them part of this tier's records.
          FLEETMQ_DOWNLINK_GROUP: downlinkGroup,
          // The bench stops its brokers when it is done measuring: no drain window to wait out.
          FLEETMQ_DRAIN_WINDOW_MS: '0',
          FLEETMQ_SESSION_STORE: this.sessionStore,
          ...(this.redis ? { REDIS_URL: this.redis.url } : {}),
          ...opts.env,
        },
        cpus: opts.cpus,
        cpuProfDir: opts.cpuProfDir ? join(opts.cpuProfDir, `gw${i}`) : undefined,
        ready: { tcpPort: mqttPort },
        readyTimeoutMs: 90_000,
        label: `${this.name} gateway ${i}`,
        log: this.log,
        logFile: join(tmpdir(), 'fleetmq-bench', `${this.name}-gw${i}.log`),
      });
      this.brokers.push(broker);
      this.endpoints.push({ host: '127.0.0.1', port: mqttPort, pid: broker.pid, httpPort });
    }
  }

  async stop(): Promise<string[]> {
    const profiles = (await Promise.all(this.brokers.map((b) => b.stop()))).flat();
    await this.redis?.dispose();
    this.redis = undefined;
    this.brokers = [];
    this.endpoints = [];
    return profiles;
  }

  logHint(): string {
    return `gateway logs: ${join(tmpdir(), 'fleetmq-bench', `${this.name}-gw*.log`)}`;
  }

  async dbTransactions(): Promise<number> {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      // Stats are flushed by backends at most once a second; callers wait a few seconds first.
      const r = await client.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [BENCH_DB]);
      return Number(r.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  }

  async metrics(): Promise<string[]> {
    return Promise.all(this.endpoints.map(async (e) => {
      try {
        const res = await fetch(`http://127.0.0.1:${e.httpPort}/metrics`, { signal: AbortSignal.timeout(5000) });
        return res.ok ? await res.text() : '';
      } catch {
        return '';
      }
    }));
  }

  downlinkRecord(topic: string, targetClientId?: string): { key: string; headers: Record<string, string> } {
    const rec = buildDownlinkRecord({ instanceId: this.instanceId, topic, qos: 0, retain: false, payload: Buffer.alloc(0), targetClientId });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec.headers)) headers[k] = String(v);
    return { key: String(rec.key), headers };
  }
}

export function createFleetMqTarget(mode: 'anonymous' | 'signature', entry: 'gateway' | 'fleetmq', log: (line: string) => void, sessionStore: BenchSessionStore = 'memory'): Target {
  return new FleetMqTarget(mode, entry, log, sessionStore);
}
