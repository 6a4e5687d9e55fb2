import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { Logger } from '#config';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { RunAs } from './postgres-user.js';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const KEPT_LOG_LINES = 15;

/** Raised when initdb or postgres exits or never answers; carries the server's last lines. */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

export interface PostgresCredentials {
  user: string;
  password: string;
}

/** Runs initdb for a new cluster (password auth, UTF-8), as `runAs` when given. */
export async function initialiseCluster(bin: PostgresBinaries, clusterDir: string, pwFile: string, credentials: PostgresCredentials, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  const args = [`--pgdata=${clusterDir}`, '--auth=password', `--username=${credentials.user}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-locale'];
  const child = spawnAs(bin.initdb, args, runAs);
  const lines = keepLines(child, logger);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new PostgresStartError(`initdb failed (exit ${code}): ${lines.last()}`);
}

/** A started `postgres` server: its pid, and a stop that waits for a clean (fast) shutdown. */
export interface PostgresServer {
  readonly pid: number;
  stop(): Promise<void>;
  /** Asks for a fast shutdown and returns at once (a forced exit: the server finishes on its own). */
  stopNow(): void;
}

export interface StartServerOptions {
  bin: PostgresBinaries;
  clusterDir: string;
  port: number;
  credentials: PostgresCredentials;
  /** The user the server runs as (root starts it as `postgres`); undefined: this process's user. */
  runAs: RunAs | undefined;
  logger: Logger;
  /** Gets the server as soon as its process exists, so that a stop during the start reaches it. */
  onSpawned?: (server: PostgresServer) => void;
  /** More `-c name=value` settings, e.g. statement logging in tests. */
  settings?: Readonly<Record<string, string>>;
  /** Every line the server prints (it is also logged at debug). */
  onLine?: (line: string) => void;
}

/**
 * Starts `postgres` on 127.0.0.1:<port>, TCP only, and resolves once it accepts a login. It runs
 * in its own process group so that a Ctrl-C reaches FleetMQ, which then stops it in order.
 */
export async function startServer(options: StartServerOptions): Promise<PostgresServer> {
  const { bin, clusterDir, port, credentials, runAs, logger } = options;
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const args = ['-D', clusterDir, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  const child = spawnAs(bin.postgres, args, runAs, true);
  const server: PostgresServer = { pid: child.pid ?? 0, stopNow: () => void child.kill('SIGINT'), stop: () => stopChild(child) };
  // Before it is ready: a Ctrl-C during the start must stop it too, or it would outlive FleetMQ.
  if (child.pid !== undefined) {
    logger.debug({ postgresPid: child.pid }, 'embedded PostgreSQL spawned');
    options.onSpawned?.(server);
  }
  const lines = keepLines(child, logger, options.onLine);
  let ended = false;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      ended = true;
      reject(new PostgresStartError(`postgres could not be started: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      ended = true;
      reject(new PostgresStartError(`postgres exited during start (${signal ?? `exit ${code}`}): ${lines.last()}`));
    });
  });
  exited.catch(() => undefined);
  const accepting = waitUntilAccepting(port, credentials, () => ended);
  try {
    await Promise.race([exited, accepting]);
  } catch (err) {
    // The readiness poll stops at its next look at `ended`; a failed start leaves nothing running.
    await accepting.catch(() => undefined);
    throw err;
  }
  return server;
}

function spawnAs(file: string, args: string[], runAs: RunAs | undefined, detached = false): ChildProcess {
  // cwd '/': the user PostgreSQL runs as may not be allowed into the folder FleetMQ was started from.
  return spawn(file, args, { cwd: '/', uid: runAs?.uid, gid: runAs?.gid, detached, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
}

function keepLines(child: ChildProcess, logger: Logger, onLine?: (line: string) => void): { last(): string } {
  const kept: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const text = line.trim();
      if (text === '') continue;
      logger.debug({ component: 'embedded-postgres' }, text);
      onLine?.(text);
      kept.push(text);
      if (kept.length > KEPT_LOG_LINES) kept.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return { last: () => kept.filter((line) => /FATAL|ERROR|error|could not|denied/.test(line)).slice(-3).join(' | ') || kept.slice(-3).join(' | ') };
}

async function waitUntilAccepting(port: number, credentials: PostgresCredentials, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...credentials, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (gone()) return; // the 'exit' handler reports why
      if (Date.now() > deadline) throw new PostgresStartError(`postgres did not accept connections within ${READY_TIMEOUT_MS / 1000}s: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
