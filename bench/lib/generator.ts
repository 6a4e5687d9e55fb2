import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pin } from './proc.js';
import type { FromWorker, Request } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** Runner-side handle of one load-generator process. */
export class Generator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private lastProgress = 0;

  private constructor(readonly name: string, private readonly child: ChildProcess, private readonly log: (line: string) => void) {
    child.on('message', (msg: FromWorker) => {
      if (msg.kind === 'progress') {
        // At most one progress line per second per generator keeps stderr readable.
        const now = Date.now();
        if (now - this.lastProgress >= 1000) {
          this.lastProgress = now;
          this.log(`  [${name}] ${msg.text}`);
        }
        return;
      }
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else waiter.reject(new Error(`${name}: ${msg.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const w of this.pending.values()) w.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Forks a generator; `cpus` pins it (and its threads) with taskset when available. */
  static start(name: string, log: (line: string) => void, cpus?: string): Generator {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    if (cpus !== undefined && child.pid !== undefined) pin(child.pid, cpus);
    return new Generator(name, child, log);
  }

  call<T>(req: Request): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, req });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.call({ op: 'exit' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Hands out loopback source addresses 127.0.0.2..254 so no address runs out of ports. */
export class AddressPool {
  private next = 2;
  take(n = 1): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(`127.0.0.${this.next}`);
      this.next = this.next >= 254 ? 2 : this.next + 1;
    }
    return out;
  }
}
