import { Kafka, logLevel, type Admin } from 'kafkajs';
import { AddressPool, Generator } from '../lib/generator.js';
import { readCpuSeconds, readRssBytes } from '../lib/proc.js';
import { PrivateRedisServer } from '../lib/redis-server.js';
import type { DownlinkReads, SessionStoreName } from '../lib/scale-result.js';
import { DOWNLINK_TOPIC } from '../scenarios/fan-out.js';
import { FleetMqTarget } from '../targets/fleetmq.js';
import type { Endpoint } from '../targets/target.js';
import { RedisStats } from './redis-stats.js';

const DOWNLINK_READS = /^fleetmq_downlink_delivered_total\{[^}]*result="([^"]+)"[^}]*\} ([0-9.e+]+)$/gm;
const OUTCOMES: Record<string, keyof DownlinkReads> = {
  published: 'published',
  delivered: 'delivered',
  forwarded: 'forwarded',
  queued: 'queued',
  'not-connected': 'notConnected',
  failed: 'failed',
};

/**
 * N standalone gateway processes on one session store (a private redis-server for `redis`),
 * one load generator per node holding that node's clients, and one more for the Kafka side.
 */
export class ScaleCluster {
  private constructor(
    readonly store: SessionStoreName,
    readonly target: FleetMqTarget,
    readonly nodes: Endpoint[],
    /** gens[i] holds the clients of nodes[i]. */
    readonly gens: Generator[],
    readonly backend: Generator,
    readonly addresses: AddressPool,
    readonly redis: { server: PrivateRedisServer; stats: RedisStats } | undefined,
    private readonly kafkaAdmin: Admin,
  ) {}

  static async start(store: SessionStoreName, nodes: number, log: (line: string) => void): Promise<ScaleCluster> {
    let redis: { server: PrivateRedisServer; stats: RedisStats } | undefined;
    const target = new FleetMqTarget('anonymous', 'gateway', log);
    const gens: Generator[] = [];
    try {
      const env: Record<string, string> = { FLEETMQ_SESSION_STORE: store };
      if (store === 'redis') {
        const server = new PrivateRedisServer();
        await server.start();
        redis = { server, stats: new RedisStats(server.url) };
        await redis.stats.connect();
        env.REDIS_URL = server.url;
      }
      log(`${store}: starting ${nodes} gateway node(s)`);
      await target.start({ processes: nodes, env });
      for (let i = 0; i < nodes; i++) gens.push(Generator.start(`node${i}-clients`, log));
      const backend = Generator.start('kafka', log);
      const admin = new Kafka({ clientId: 'fleetmq-bench-scale', brokers: target.kafkaBrokers ?? [], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      return new ScaleCluster(store, target, target.endpoints, gens, backend, new AddressPool(), redis, admin);
    } catch (err) {
      await Promise.all(gens.map((g) => g.stop()));
      await target.stop();
      await redis?.stats.close();
      await redis?.server.dispose();
      throw err;
    }
  }

  cpuMicros(): number[] {
    return this.nodes.map((n) => Math.round(readCpuSeconds(n.pid) * 1e6));
  }

  rssBytes(): number[] {
    return this.nodes.map((n) => readRssBytes(n.pid));
  }

  /** Downlink records each node has read so far, by outcome (fleetmq_downlink_delivered_total). */
  async downlinkReads(): Promise<DownlinkReads[]> {
    return Promise.all(this.nodes.map(async (n) => {
      const res = await fetch(`http://127.0.0.1:${n.httpPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      const reads: DownlinkReads = { published: 0, delivered: 0, forwarded: 0, queued: 0, notConnected: 0, failed: 0 };
      for (const m of text.matchAll(DOWNLINK_READS)) {
        const outcome = OUTCOMES[m[1]!];
        if (outcome === undefined) throw new Error(`fleetmq_downlink_delivered_total: unknown result ${m[1]}`);
        reads[outcome] += Number(m[2]);
      }
      return reads;
    }));
  }

  /** Records in fleetmq.downlink so far (the partitions' end offsets summed). */
  async downlinkTopicRecords(): Promise<number> {
    const offsets = await this.kafkaAdmin.fetchTopicOffsets(DOWNLINK_TOPIC);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  }

  /** Stops the gateway processes alone (stop() then leaves them be). */
  async stopGateways(): Promise<void> {
    await this.target.stop();
  }

  async stop(): Promise<void> {
    await this.kafkaAdmin.disconnect().catch(() => undefined);
    await Promise.all([...this.gens, this.backend].map((g) => g.stop()));
    await this.target.stop();
    await this.redis?.stats.close();
    await this.redis?.server.dispose();
  }
}
