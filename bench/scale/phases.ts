import type { FanInResult, ReceiverCounters } from '../lib/protocol.js';
import type { DownlinkReads, NodePhase, PhaseResult, RedisDelta, ScaleConfigResult, ScaleProfile } from '../lib/scale-result.js';
import { newRunTag, sleep } from '../scenarios/context.js';
import { DOWNLINK_TOPIC } from '../scenarios/fan-out.js';
import { benchAdminUrl, benchDatabaseUrl } from '../targets/fleetmq.js';
import { readPostgresWrites, STATS_SETTLE_MS, waitForBackendsGone } from './postgres-writes.js';
import { RedisStats } from './redis-stats.js';
import type { ScaleCluster } from './scale-cluster.js';

const POOL = 'idle';
const BROADCAST_TOPIC = 'bench/bcast';
/** Long enough for the session tracker's flush (FLEETMQ_SESSION_FLUSH_MS, 1 s) after connects or disconnects. */
const SESSION_FLUSH_WAIT_MS = 1_500;
/** A downlink phase gives up when its clients received nothing new for this long (longer than a busy machine's group rebalance usually takes). */
const DOWNLINK_STALL_MS = 20_000;
const DOWNLINK_SETTLE_MAX_MS = 5_000;
const IDLE_WINDOW_MS = 3_000;

type Work = () => Promise<{ count: number; handled: number[]; delivered: number[]; reads?: DownlinkReads[] }>;

/** Runs `work` and charges each node the CPU it used meanwhile, and Redis what it processed. */
async function measure(cluster: ScaleCluster, work: Work): Promise<PhaseResult> {
  const topic0 = await cluster.downlinkTopicRecords();
  const redis0 = await cluster.redis?.stats.snapshot();
  const cpu0 = cluster.cpuMicros();
  const t0 = performance.now();
  const { count, handled, delivered, reads } = await work();
  const durationMs = Math.round(performance.now() - t0);
  const cpu = cluster.cpuMicros().map((c, i) => c - cpu0[i]!);
  let redis: RedisDelta | undefined;
  if (cluster.redis && redis0) redis = RedisStats.delta(redis0, await cluster.redis.stats.snapshot());
  const perNode: NodePhase[] = cpu.map((cpuMicros, i) => ({ cpuMicros, handled: handled[i] ?? 0, delivered: delivered[i] ?? 0, ...(reads ? { reads: reads[i]! } : {}) }));
  const topicRecords = (await cluster.downlinkTopicRecords()) - topic0;
  return { count, durationMs, perNode, topicRecords, ...(redis ? { redis } : {}) };
}

function clientId(cluster: ScaleCluster, node: number, suffix: number | string): string {
  return `${cluster.target.idPrefix}n${node}c${suffix}`;
}

async function received(cluster: ScaleCluster, runTag: number): Promise<number[]> {
  return Promise.all(cluster.gens.map(async (g) => (await g.call<ReceiverCounters>({ op: 'counters', pool: POOL, runTag, remove: false })).received));
}

const totalReads = (r: DownlinkReads): number => r.published + r.delivered + r.forwarded + r.queued + r.notConnected + r.failed;

function readsSince(before: DownlinkReads[], now: DownlinkReads[]): DownlinkReads[] {
  return now.map((r, i) => {
    const b = before[i]!;
    return {
      published: r.published - b.published, delivered: r.delivered - b.delivered, forwarded: r.forwarded - b.forwarded,
      queued: r.queued - b.queued, notConnected: r.notConnected - b.notConnected, failed: r.failed - b.failed,
    };
  });
}

/**
 * Whether the nodes have read `records` records since the phase began: with the Redis store the
 * tier shares one downlink group, so the nodes' reads add up to the records; with the memory
 * store each node reads every record.
 */
function readEveryRecord(cluster: ScaleCluster, reads: DownlinkReads[], records: number): boolean {
  const totals = reads.map(totalReads);
  return cluster.store === 'redis' ? totals.reduce((a, b) => a + b, 0) >= records : totals.every((t) => t >= records);
}

/**
 * Produces downlink records and waits until the clients got `expected` messages (or got nothing
 * new for DOWNLINK_STALL_MS) and the nodes have read every record, or no node's reads moved for
 * half a second.
 */
async function downlink(cluster: ScaleCluster, records: Array<{ key: string; headers: Record<string, string> }>, expected: number, profile: ScaleProfile, log: (line: string) => void) {
  const runTag = newRunTag();
  const reads0 = await cluster.downlinkReads();
  await cluster.backend.call({
    op: 'kafkaProduce',
    spec: { brokers: cluster.target.kafkaBrokers ?? [], topic: DOWNLINK_TOPIC, records, payloadBytes: profile.payloadBytes, batch: 500, intervalMs: 0, runTag },
  });
  const total = (got: number[]): number => got.reduce((a, b) => a + b, 0);
  let got = await received(cluster, runTag);
  for (let lastMove = Date.now(), last = total(got); total(got) < expected && Date.now() - lastMove < DOWNLINK_STALL_MS; ) {
    await sleep(100);
    got = await received(cluster, runTag);
    if (total(got) !== last) [last, lastMove] = [total(got), Date.now()];
  }
  // Records others produce on a shared Kafka are read too and keep the counters moving: the
  // stillness check is bounded, and they may end the wait early (the note under the tables).
  let reads = readsSince(reads0, await cluster.downlinkReads());
  const settleUntil = Date.now() + DOWNLINK_SETTLE_MAX_MS;
  for (let still = 0; still < 2 && Date.now() < settleUntil && !readEveryRecord(cluster, reads, records.length); ) {
    await sleep(250);
    const now = readsSince(reads0, await cluster.downlinkReads());
    still = now.every((r, i) => totalReads(r) === totalReads(reads[i]!)) ? still + 1 : 0;
    reads = now;
  }
  got = await received(cluster, runTag);
  if (total(got) < expected) log(`downlink: ${total(got)} of ${expected} messages arrived (nothing new for ${DOWNLINK_STALL_MS} ms)`);
  return { count: records.length, handled: reads.map(totalReads), delivered: got, reads };
}

/**
 * Connects and disconnects a small first batch of clients, then waits until PostgreSQL has
 * reported their writes: the measured connects then do not pay the JIT compilation of a fresh
 * process, nor count the warm-up's rows. Small, because the measured connections reuse the heap
 * it freed, which would hide part of their RSS.
 */
async function warmUp(cluster: ScaleCluster, profile: ScaleProfile, log: (line: string) => void): Promise<void> {
  log(`${cluster.store} x${cluster.nodes.length}: warming up with ${profile.warmupConnectionsPerNode} clients per node`);
  await Promise.all(cluster.gens.map((g, i) => g.call({
    op: 'connect',
    spec: {
      pool: 'warmup', host: cluster.nodes[i]!.host, port: cluster.nodes[i]!.port, count: profile.warmupConnectionsPerNode, idPrefix: clientId(cluster, i, 'w'),
      startIndex: 0, localAddresses: cluster.addresses.take(1), keepalive: 0, clean: true, concurrency: 100, timeoutMs: 60_000, auth: cluster.target.auth,
      subscribe: { topics: [BROADCAST_TOPIC], qos: 0 },
    },
  })));
  await Promise.all(cluster.gens.map((g) => g.call({ op: 'close', pool: 'warmup' })));
  await sleep(STATS_SETTLE_MS);
}

/** Each node's CPU while nothing happens (Kafka consumers polling, heartbeats, timers), µs per second. */
async function idleCpu(cluster: ScaleCluster): Promise<number[]> {
  const cpu0 = cluster.cpuMicros();
  const t0 = performance.now();
  await sleep(IDLE_WINDOW_MS);
  const seconds = (performance.now() - t0) / 1000;
  return cluster.cpuMicros().map((c, i) => Math.round((c - cpu0[i]!) / seconds));
}

/** Every phase on one running cluster: connect, uplink, P2P, broadcast, disconnect; stops its gateways at the end. */
export async function runPhases(cluster: ScaleCluster, profile: ScaleProfile, log: (line: string) => void): Promise<ScaleConfigResult> {
  const n = cluster.nodes.length;
  const perNode = profile.connectionsPerNode;
  if (profile.warmupConnectionsPerNode > 0) await warmUp(cluster, profile, log);
  const idleCpuMicrosPerSec = await idleCpu(cluster);
  const pg0 = await readPostgresWrites(benchDatabaseUrl());
  const rssBeforeBytes = cluster.rssBytes();
  const redisMemory0 = (await cluster.redis?.stats.snapshot())?.memoryBytes;

  log(`${cluster.store} x${n}: connecting ${perNode} clients to each node`);
  const connect = await measure(cluster, async () => {
    const results = await Promise.all(cluster.gens.map((g, i) => g.call<{ connected: number; failed: number; errors: Record<string, number> }>({
      op: 'connect',
      spec: {
        pool: POOL, host: cluster.nodes[i]!.host, port: cluster.nodes[i]!.port, count: perNode, idPrefix: clientId(cluster, i, ''), startIndex: 0,
        localAddresses: cluster.addresses.take(1), keepalive: 0, clean: true, concurrency: 100, timeoutMs: 60_000, auth: cluster.target.auth,
        subscribe: { topics: [BROADCAST_TOPIC], qos: 0 },
      },
    })));
    const failed = results.filter((r) => r.failed > 0);
    if (failed.length) throw new Error(`connect failed: ${JSON.stringify(failed.map((r) => r.errors))}`);
    await sleep(SESSION_FLUSH_WAIT_MS);
    return { count: perNode * n, handled: results.map((r) => r.connected), delivered: results.map(() => 0) };
  });
  const rssConnectedBytes = cluster.rssBytes();
  const redisMemory1 = (await cluster.redis?.stats.snapshot())?.memoryBytes;

  log(`${cluster.store} x${n}: uplink QoS 1, ${profile.uplinkClientsPerNode} publishers per node for ${profile.uplinkMs} ms`);
  const uplink = await measure(cluster, async () => {
    const runTag = newRunTag();
    const results = await Promise.all(cluster.gens.map((g, i) => g.call<FanInResult>({
      op: 'fanIn',
      spec: {
        host: cluster.nodes[i]!.host, port: cluster.nodes[i]!.port, clients: profile.uplinkClientsPerNode, idPrefix: clientId(cluster, i, 'up'),
        localAddresses: cluster.addresses.take(1), auth: cluster.target.auth, qos: 1, payloadBytes: profile.payloadBytes, inflight: profile.uplinkInflight,
        topic: 'bench/up/{id}', warmupMs: 0, durationMs: profile.uplinkMs, drainMs: 5_000, runTag,
      },
    })));
    const acked = results.map((r) => r.acked);
    return { count: acked.reduce((a, b) => a + b, 0), handled: acked, delivered: results.map(() => 0) };
  });

  // Targets round-robin over the nodes, so each node holds the target of 1/n of the records.
  log(`${cluster.store} x${n}: ${profile.p2pRecords} P2P downlink records`);
  const p2p = await measure(cluster, () => {
    const records = Array.from({ length: profile.p2pRecords }, (_, k) => {
      const id = clientId(cluster, k % n, String(Math.floor(k / n) % perNode));
      return cluster.target.downlinkRecord(`bench/p2p/${id}`, id);
    });
    return downlink(cluster, records, profile.p2pRecords, profile, log);
  });

  log(`${cluster.store} x${n}: ${profile.broadcastRecords} broadcast records to ${perNode * n} subscribers`);
  const broadcast = await measure(cluster, () => {
    const records = Array.from({ length: profile.broadcastRecords }, () => cluster.target.downlinkRecord(BROADCAST_TOPIC));
    return downlink(cluster, records, profile.broadcastRecords * perNode * n, profile, log);
  });

  log(`${cluster.store} x${n}: disconnecting`);
  const disconnect = await measure(cluster, async () => {
    await Promise.all(cluster.gens.map((g) => g.call({ op: 'close', pool: POOL })));
    await sleep(SESSION_FLUSH_WAIT_MS);
    return { count: perNode * n, handled: cluster.nodes.map(() => perNode), delivered: cluster.nodes.map(() => 0) };
  });

  // Their PostgreSQL backends report what they wrote as they exit: no wait for the statistics.
  log(`${cluster.store} x${n}: stopping the gateways for PostgreSQL's statistics`);
  await cluster.stopGateways();
  await waitForBackendsGone(benchAdminUrl(), benchDatabaseUrl());
  const pg1 = await readPostgresWrites(benchDatabaseUrl());
  return {
    store: cluster.store,
    nodes: n,
    connectionsPerNode: perNode,
    idleCpuMicrosPerSec,
    rssBeforeBytes,
    rssConnectedBytes,
    ...(redisMemory0 !== undefined && redisMemory1 !== undefined ? { redisBytesConnected: redisMemory1 - redisMemory0 } : {}),
    phases: { connect, uplink, p2p, broadcast, disconnect },
    // The first read's own transaction is in the delta.
    postgres: { transactions: pg1.transactions - pg0.transactions - 1, clientSessionRowsWritten: pg1.clientSessionRowsWritten - pg0.clientSessionRowsWritten },
  };
}
