import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { hasTaskset } from '../lib/proc.js';

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface ChildBrokerOptions {
  /** A Node script (run with this Node, --cpu-prof capable) or, instead, a native command. */
  script?: string;
  command?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cpus?: string;
  cpuProfDir?: string;
  /** Readiness: output matching this (its first group is the port), or a TCP port accepting connections. */
  ready: RegExp | { tcpPort: number };
  readyTimeoutMs: number;
  label: string;
  log: (line: string) => void;
  /** Where the broker's output goes after readiness (kept for post-mortems). */
  logFile?: string;
}

/** A Node broker (bare aedes, a FleetMQ gateway) run as its own process, pinned with taskset. */
export class ChildBroker {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number | undefined,
    private readonly profDir?: string,
    readonly logFile?: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(opts: ChildBrokerOptions): Promise<ChildBroker> {
    const nodeArgs: string[] = [];
    if (opts.cpuProfDir) {
      mkdirSync(opts.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
    }
    const exe = opts.command ?? process.execPath;
    const argv = opts.command ? [...(opts.args ?? [])] : [...nodeArgs, opts.script as string, ...(opts.args ?? [])];
    const pinned = opts.cpus !== undefined && hasTaskset();
    const child = pinned
      ? spawn('taskset', ['-c', opts.cpus as string, exe, ...argv], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(exe, argv, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const port = await new Promise<number | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${opts.label} not ready after ${opts.readyTimeoutMs} ms; output:\n${output.slice(-3000)}`));
      }, opts.readyTimeoutMs);
      const ready = opts.ready;
      const onData = (chunk: Buffer): void => {
        // Keep only a tail: a chatty broker must not grow the runner's memory.
        output = (output + chunk.toString()).slice(-20_000);
        if (!(ready instanceof RegExp)) return;
        const m = ready.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] === undefined ? undefined : Number(m[1]));
        }
      };
      if (!(ready instanceof RegExp)) {
        const poll = (): void => {
          void portAccepts(ready.tcpPort).then((ok) => {
            if (ok) {
              clearTimeout(timer);
              resolve(ready.tcpPort);
            } else if (child.exitCode === null) setTimeout(poll, 200);
          });
        };
        setTimeout(poll, 200);
      }
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${opts.label} exited early (${code ?? signal}); output:\n${output.slice(-3000)}`));
      });
    });
    // After readiness the output goes to a log file (or is dropped): a full pipe would block the broker.
    child.stdout?.removeAllListeners('data');
    child.stderr?.removeAllListeners('data');
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      const out = createWriteStream(opts.logFile);
      out.write(output);
      child.stdout?.pipe(out, { end: false });
      child.stderr?.pipe(out, { end: false });
      child.once('exit', (code, signal) => out.end(`\n[bench] exited with ${code ?? signal}\n`));
    } else {
      child.stdout?.resume();
      child.stderr?.resume();
    }
    child.removeAllListeners('exit');
    return new ChildBroker(child, port, opts.cpuProfDir, opts.logFile);
  }

  /** SIGTERM (so --cpu-prof is written), SIGKILL after a grace period. */
  async stop(graceMs = 10_000): Promise<string[]> {
    const before = this.profDir ? new Set(readdirSync(this.profDir)) : new Set<string>();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    if (!this.profDir) return [];
    return readdirSync(this.profDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).map((f) => join(this.profDir as string, f));
  }
}
