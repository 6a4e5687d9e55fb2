import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getAffinity, pidListeningOn, pin } from '../lib/proc.js';
import { packageVersion } from '../lib/repo.js';
import { ChildBroker } from './child-broker.js';
import type { Endpoint, StartOptions, Target } from './target.js';

const run = promisify(execFile);

/** The Mosquitto already running on this machine (not started or stopped by the bench). */
export class MosquittoTarget implements Target {
  readonly name = 'mosquitto';
  readonly description: string;
  readonly isFleetMq = false;
  readonly multiProcess = false;
  readonly auth = { mode: 'none' } as const;
  readonly idPrefix = 'bench-';
  readonly topicRoot = 'bench';
  readonly p2pNeedsSubscribe = true;
  endpoints: Endpoint[] = [];
  private savedAffinity?: string;

  constructor(private readonly host: string, private readonly port: number) {
    this.description = `Mosquitto at ${host}:${port} (the machine's running instance)`;
  }

  async version(): Promise<string> {
    try {
      const { stdout, stderr } = await run('mosquitto', ['-h']).catch((e: { stdout: string; stderr: string }) => e);
      const m = /mosquitto version (\S+)/.exec(`${stdout}${stderr}`);
      return m ? m[1] : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  async start(opts: StartOptions): Promise<void> {
    const pid = pidListeningOn(this.port);
    if (pid === undefined) throw new Error(`nothing listens on port ${this.port} (is Mosquitto running?)`);
    if (opts.cpus !== undefined && this.savedAffinity === undefined) {
      // Pinned for the run like the other brokers; the previous CPU list is restored in stop().
      this.savedAffinity = getAffinity(pid);
      pin(pid, opts.cpus);
    }
    this.endpoints = [{ host: this.host, port: this.port, pid }];
  }

  async stop(): Promise<string[]> {
    const pid = this.endpoints[0]?.pid;
    if (pid !== undefined && this.savedAffinity !== undefined) pin(pid, this.savedAffinity);
    this.savedAffinity = undefined;
    return [];
  }
}

/** aedes 1.2 with default in-memory settings, as its own process on an ephemeral port. */
export class BareAedesTarget implements Target {
  readonly name = 'aedes';
  readonly description = 'bare aedes (default in-memory persistence and emitter, no hooks), own process';
  readonly isFleetMq = false;
  readonly multiProcess = false;
  readonly auth = { mode: 'none' } as const;
  readonly idPrefix = 'bench-';
  readonly topicRoot = 'bench';
  readonly p2pNeedsSubscribe = true;
  endpoints: Endpoint[] = [];
  private broker?: ChildBroker;

  constructor(private readonly log: (line: string) => void) {}

  async version(): Promise<string> {
    return packageVersion('aedes');
  }

  async start(opts: StartOptions): Promise<void> {
    this.broker = await ChildBroker.start({
      script: fileURLToPath(new URL('../peers/bare-aedes.js', import.meta.url)),
      cpus: opts.cpus,
      cpuProfDir: opts.cpuProfDir,
      ready: /PORT=(\d+)/,
      readyTimeoutMs: 20_000,
      label: 'bare aedes',
      log: this.log,
      logFile: join(tmpdir(), 'fleetmq-bench', 'bare-aedes.log'),
    });
    this.endpoints = [{ host: '127.0.0.1', port: this.broker.port as number, pid: this.broker.pid }];
  }

  async stop(): Promise<string[]> {
    const profiles = (await this.broker?.stop()) ?? [];
    this.broker = undefined;
    this.endpoints = [];
    return profiles;
  }
}
