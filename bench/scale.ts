/**
 * What one gateway node pays, with the memory and the Redis session store, at 1, 2 and 4 nodes
 * (two cores cannot show throughput scaling, so costs are per node and per message):
 *
 *   npm run bench:scale -- [--stores memory,redis] [--nodes 1,2,4] [--quick] [--connections <per node>] [--out dir]
 *
 * Each store x node count starts that many standalone gateway processes (anonymous clients,
 * Kafka acks=all, a private redis-server for `redis`) and measures, per node: RSS per idle
 * subscribed connection, CPU per connect, per QoS 1 uplink message (device -> Kafka), per P2P
 * downlink record (targets spread round-robin over the nodes), per broadcast record (every
 * client subscribed), with the downlink records each node read, forwarded to the holding node
 * (Redis store: the tier reads each record once) and delivered; Redis commands, round trips (read events), CPU and memory per connect and
 * per message; PostgreSQL transactions and client_sessions rows per connect + disconnect.
 * The result goes to bench/results/scale/<timestamp>.json (docs/SCALING.md renders it with
 * `npm run bench:report`). About 6 minutes with the default profile on an idle 2-core machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { packageVersion, gitCommit, REPO_ROOT } from './lib/repo.js';
import type { ScaleConfigResult, ScaleProfile, ScaleResult, SessionStoreName } from './lib/scale-result.js';
import { runPhases } from './scale/phases.js';
import { ScaleCluster } from './scale/scale-cluster.js';

const PROFILES: Record<ScaleProfile['name'], ScaleProfile> = {
  default: {
    name: 'default', connectionsPerNode: 5_000, warmupConnectionsPerNode: 200, uplinkClientsPerNode: 50, uplinkInflight: 10, uplinkMs: 8_000,
    p2pRecords: 20_000, broadcastRecords: 20, payloadBytes: 128,
  },
  quick: {
    name: 'quick', connectionsPerNode: 200, warmupConnectionsPerNode: 0, uplinkClientsPerNode: 10, uplinkInflight: 10, uplinkMs: 1_000,
    p2pRecords: 1_000, broadcastRecords: 5, payloadBytes: 128,
  },
};

const t0 = performance.now();
/** Seconds since start on every line: where a slow run spends its time. */
const log = (line: string): void => void process.stderr.write(`[bench:scale +${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function parseStores(text: string): SessionStoreName[] {
  const stores = text.split(',');
  for (const s of stores) if (s !== 'memory' && s !== 'redis') throw new Error(`--stores: ${s} is not memory or redis`);
  return stores as SessionStoreName[];
}

function parseNodes(text: string): number[] {
  const nodes = text.split(',').map(Number);
  for (const n of nodes) if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--nodes: ${text} must be whole numbers from 1 to 8`);
  return nodes;
}

let running: ScaleCluster | undefined;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = loadavg();
  // The commit measured: taken now, before anyone edits the tree during a long run.
  const commit = gitCommit();
  const base = PROFILES[process.argv.includes('--quick') ? 'quick' : 'default'];
  const connections = Number(option('connections', String(base.connectionsPerNode)));
  if (!Number.isInteger(connections) || connections < 10 || connections > 19_000) throw new Error('--connections must be a whole number from 10 to 19000 (clients per node)');
  const profile: ScaleProfile = { ...base, connectionsPerNode: connections };
  const stores = parseStores(option('stores', 'memory,redis'));
  const nodeCounts = parseNodes(option('nodes', '1,2,4'));
  const outDir = option('out', join(REPO_ROOT, 'bench/results/scale'));
  const configs: ScaleConfigResult[] = [];
  const failures: ScaleResult['failures'] = [];
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${startedAt.replace(/[:.]/g, '-')}.json`);
  // Written after every store x node count, so a long run stopped halfway keeps what it measured.
  const write = (): void => {
    const result: ScaleResult = {
      startedAt,
      finishedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      reproduce: `npm run bench:scale -- ${process.argv.slice(2).filter((a, i, all) => all[i - 1] !== '--out' && a !== '--out').join(' ')}`.trim(),
      machine: {
        nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, commit, loadAverageStart, loadAverageEnd: loadavg(),
        versions: { aedes: packageVersion('aedes'), 'aedes-persistence-redis': packageVersion('aedes-persistence-redis'), 'mqemitter-redis': packageVersion('mqemitter-redis'), kafkajs: packageVersion('kafkajs') },
      },
      profile,
      configs,
      failures,
    };
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  };
  for (const store of stores) {
    for (const nodes of nodeCounts) {
      try {
        running = await ScaleCluster.start(store, nodes, log);
        configs.push(await runPhases(running, profile, log));
      } catch (err) {
        log(`${store} x${nodes} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        failures.push({ store, nodes, error: err instanceof Error ? err.message : String(err) });
      } finally {
        await running?.stop();
        running = undefined;
      }
      write();
    }
  }
  log(`result: ${relative(process.cwd(), file)}`);
  process.exitCode = failures.length ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the gateways and Redis started by this run`);
    const force = setTimeout(() => process.exit(130), 15_000);
    void (running?.stop() ?? Promise.resolve()).finally(() => {
      clearTimeout(force);
      process.exit(130);
    });
  });
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 2;
});
