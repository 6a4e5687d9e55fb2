import { Redis } from 'ioredis';
import type { RedisDelta } from '../lib/scale-result.js';

interface RedisSnapshot {
  commands: Map<string, number>;
  reads: number;
  writes: number;
  cpuMicros: number;
  memoryBytes: number;
}

function field(info: string, name: string): number {
  const m = new RegExp(`^${name}:([0-9.]+)\\r?$`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no ${name}`);
  return Number(m[1]);
}

/**
 * Reads what a Redis has processed so far (INFO all) over one connection of its own. Each INFO
 * the bench sends is one command and one read, so deltas leave them out: what remains is what
 * the gateways did.
 */
export class RedisStats {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async snapshot(): Promise<RedisSnapshot> {
    const info = await this.client.info('everything');
    const commands = new Map<string, number>();
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands.set(m[1]!, Number(m[2]));
    return {
      commands,
      reads: field(info, 'total_reads_processed'),
      writes: field(info, 'total_writes_processed'),
      cpuMicros: Math.round((field(info, 'used_cpu_user') + field(info, 'used_cpu_sys')) * 1e6),
      memoryBytes: field(info, 'used_memory'),
    };
  }

  /** What happened between two snapshots taken in a row by this client (the later INFO excluded). */
  static delta(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
    const byCommand: Record<string, number> = {};
    let commands = 0;
    const names = [...after.commands.keys()].filter((n) => n !== 'info');
    for (const name of names) {
      const calls = (after.commands.get(name) ?? 0) - (before.commands.get(name) ?? 0);
      if (calls > 0) byCommand[name] = calls;
      commands += Math.max(0, calls);
    }
    const sorted = Object.fromEntries(Object.entries(byCommand).sort((a, b) => b[1] - a[1]));
    return {
      commands,
      // The later INFO is one read and one write of this client.
      reads: after.reads - before.reads - 1,
      writes: after.writes - before.writes - 1,
      cpuMicros: after.cpuMicros - before.cpuMicros,
      memoryBytes: after.memoryBytes - before.memoryBytes,
      byCommand: sorted,
    };
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
