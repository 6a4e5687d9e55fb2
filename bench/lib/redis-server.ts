// A private redis-server: ephemeral port, temp dir, nothing kept on disk. Never the machine's
// shared Redis on 6379: mqemitter-redis' pub/sub channels ignore database numbers, a restart
// test must be able to stop its Redis, and a benchmark counts every command Redis processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../targets/peers.js';

export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** Why a private Redis cannot run here, or undefined when it can. */
export function redisServerMissing(): string | undefined {
  return existsSync(REDIS_SERVER) ? undefined : `${REDIS_SERVER} not found (apt-get install redis-server, or set REDIS_SERVER_BIN)`;
}

export class PrivateRedisServer {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private output = '';
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts, on the same port) and resolves when it accepts connections. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('redis-server already running');
    this.port ||= await freePort();
    this.dir ??= await mkdtemp(join(tmpdir(), 'fleetmq-redis-'));
    this.output = '';
    const child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${this.output}`)));
    });
  }

  /** Stops the server (SIGTERM: with --save '' it writes nothing) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Stops it and deletes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }
}
