import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../reliability/harness.js';

/** dist/ of this checkout: the processes under test run the built code, as `npm start` does. */
export const ALL_IN_ONE_MAIN = resolve('dist/apps/fleetmq/src/main.js');

export interface AllInOnePorts {
  http: number;
  mqtt: number;
  ws: number;
}

export async function freeAllInOnePorts(): Promise<AllInOnePorts> {
  return { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
}

/** The environment of `npm start` with the embedded database: no DATABASE_URL, nothing preset but ports and data folder. */
export function allInOneEnv(dataDir: string, ports: AllInOnePorts, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // What the test runner's own environment may carry is dropped; a test sets it through `extra`.
  const { DATABASE_URL: _db, FLEETMQ_ADMIN_TOKEN: _token, FLEETMQ_MASTER_KEY: _key, ...inherited } = process.env;
  return {
    ...inherited,
    FLEETMQ_DATA_DIR: dataDir,
    FLEETMQ_HTTP_PORT: String(ports.http),
    FLEETMQ_MQTT_PORT: String(ports.mqtt),
    FLEETMQ_WS_PORT: String(ports.ws),
    FLEETMQ_BIND_HOST: '127.0.0.1',
    ...extra,
  };
}

/** A running (or finished) all-in-one process with everything it printed. */
export class AllInOneProcess {
  output = '';
  private readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      for (const listener of this.listeners) listener();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  }

  /** Runs `main` (default: this checkout's dist) with `env`; options may set cwd, uid and gid. */
  static start(env: NodeJS.ProcessEnv, options: SpawnOptions = {}, main = ALL_IN_ONE_MAIN): AllInOneProcess {
    return new AllInOneProcess(spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'], ...options }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once `text` has been printed; rejects if the process exits first or the time runs out. */
  waitForOutput(text: string | RegExp, timeoutMs: number): Promise<void> {
    const seen = () => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output));
    return new Promise((resolveWait, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolveWait();
      };
      const check = () => {
        if (seen()) done();
      };
      const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${String(text)}; output:\n${this.output}`)), timeoutMs);
      this.listeners.add(check);
      void this.exited.then((code) => {
        if (!seen()) done(new Error(`exited (${code}) before printing ${String(text)}; output:\n${this.output}`));
      });
      check();
    });
  }

  /** Resolves with the exit code (null when killed by a signal). */
  waitForExit(timeoutMs: number): Promise<number | null> {
    return new Promise((resolveExit, reject) => {
      const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; output:\n${this.output}`)), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    await this.waitForExit(60_000);
  }
}

/**
 * Removes a data folder and, when the cluster was kept outside it (root under a private folder:
 * /var/lib/fleetmq/clusters/<id>, named in `<dataDir>/pg-location`), that cluster too.
 */
export async function removeDataDir(dataDir: string): Promise<void> {
  const pointer = join(dataDir, 'pg-location');
  if (existsSync(pointer)) {
    const cluster = readFileSync(pointer, 'utf8').trim();
    if (cluster.startsWith('/var/lib/fleetmq/clusters/')) {
      await rm(cluster, { recursive: true, force: true });
      await rm(`${cluster}.origin`, { force: true });
    }
  }
  await rm(dataDir, { recursive: true, force: true });
}

/** A started all-in-one process with a known admin token, as the browser tests use it. */
export interface FleetMqProcess {
  httpUrl: string;
  ports: AllInOnePorts;
  adminToken: string;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the all-in-one process as a user runs it (its own embedded PostgreSQL in a fresh data
 * folder, Kafka from KAFKA_BROKERS, loopback ports chosen here) and waits for its banner.
 */
export async function startFleetMq(env: NodeJS.ProcessEnv = {}, adminToken = 'e2e-admin-token-0123456789'): Promise<FleetMqProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetmq-e2e-'));
  const ports = await freeAllInOnePorts();
  const proc = AllInOneProcess.start(allInOneEnv(dataDir, ports, { FLEETMQ_MQTTS_PORT: '0', FLEETMQ_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', ...env }));
  const stop = async (): Promise<void> => {
    await proc.stop();
    await removeDataDir(dataDir);
  };
  try {
    await proc.waitForOutput('FleetMQ ready', 120_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { httpUrl: `http://127.0.0.1:${ports.http}`, ports, adminToken, output: () => proc.output, stop };
}
