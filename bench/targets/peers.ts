import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getAffinity, pidListeningOn, pin } from '../lib/proc.js';
import { packageVersion } from '../lib/repo.js';
import { ChildBroker } from './child-broker.js';
import type { Endpoint, StartOptions, Target } from './target.js';

const run = promisify(execFile);

/** What every peer broker has in common: a single process, anonymous clients, plain MQTT P2P. */
abstract class PeerTarget implements Target {
  abstract readonly name: string;
  abstract readonly description: string;
  readonly isFleetMq = false;
  readonly multiProcess = false;
  readonly auth = { mode: 'none' } as const;
  readonly idPrefix = 'bench-';
  readonly topicRoot = 'bench';
  readonly p2pNeedsSubscribe = true;
  endpoints: Endpoint[] = [];

  abstract version(): Promise<string>;
  abstract start(opts: StartOptions): Promise<void>;
  abstract stop(): Promise<string[]>;
}

/** A peer that start() runs as a child process of the bench, ended again by stop(). */
abstract class ChildProcessPeerTarget extends PeerTarget {
  protected broker?: ChildBroker;

  constructor(protected readonly log: (line: string) => void) {
    super();
  }

  async stop(): Promise<string[]> {
    // CPU profiles: only a Node broker started with a cpuProfDir writes any (Mosquitto: none).
    const profiles = (await this.broker?.stop()) ?? [];
    this.broker = undefined;
    this.endpoints = [];
    return profiles;
  }
}

/**
 * A private Mosquitto (same binary as the machine's, fresh process per scenario, so its RSS
 * delta is not blurred by memory an older process freed and kept), listening on an ephemeral
 * loopback port with in-memory state.
 */
export class PrivateMosquittoTarget extends ChildProcessPeerTarget {
  readonly name = 'mosquitto';
  readonly description = 'Mosquitto (private process per scenario: persistence off, anonymous, default limits)';

  version(): Promise<string> {
    return mosquittoVersion();
  }

  async start(opts: StartOptions): Promise<void> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'fleetmq-bench-mosquitto-'));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n`);
    chmodSync(dir, 0o755);
    this.broker = await ChildBroker.start({
      command: 'mosquitto', args: ['-c', conf], cpus: opts.cpus, ready: { tcpPort: port }, readyTimeoutMs: 20_000,
      label: 'mosquitto', log: this.log, logFile: join(tmpdir(), 'fleetmq-bench', 'mosquitto.log'),
    });
    this.endpoints = [{ host: '127.0.0.1', port, pid: this.broker.pid }];
  }
}

async function mosquittoVersion(): Promise<string> {
  try {
    const { stdout, stderr } = await run('mosquitto', ['-h']).catch((e: { stdout: string; stderr: string }) => e);
    const m = /mosquitto version (\S+)/.exec(`${stdout}${stderr}`);
    return m ? m[1] : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The Mosquitto already running on this machine (not started or stopped by the bench). */
export class MosquittoTarget extends PeerTarget {
  readonly name = 'mosquitto';
  readonly description: string;
  private savedAffinity?: string;

  constructor(private readonly host: string, private readonly port: number) {
    super();
    this.description = `Mosquitto at ${host}:${port} (the machine's running instance)`;
  }

  version(): Promise<string> {
    return mosquittoVersion();
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
export class BareAedesTarget extends ChildProcessPeerTarget {
  readonly name = 'aedes';
  readonly description = 'bare aedes (default in-memory persistence and emitter, no hooks), own process';

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
}
