/**
 * Benchmark runner: FleetMQ against Mosquitto and bare aedes, same machine, same run.
 *   npm run bench                       default profile (a few minutes)
 *   npm run bench -- --quick            smoke run (CI)
 *   npm run bench -- --profile full     >= 100k idle connections over several gateway processes
 *   npm run bench -- --targets fleetmq-anon --scenarios fixed-rate --fleetmq-entry fleetmq --no-pin
 *                                       latency at 100/1k/5k/10k msg/s, both directions (~6 min)
 * Options: --targets a,b  --scenarios connections,fan-in,fan-in-sub,fan-out,reconnect,fixed-rate  --reps n
 *          --duration ms  --payloads 64,128,512  --connections n  --subscribers n  --cpu-prof
 *          --out dir  --mosquitto private|running|host:port  --no-pin  --fleetmq-entry gateway|fleetmq
 *          --rates 100,1000  --rate-directions kafka,uplink,downlink-p2p,downlink-broadcast
 *          --rate-duration ms  --session-store memory|redis
 *          --kafka-warmup s    Kafka driven this long first when a FleetMQ target runs (default 30, --quick 0)
 * Progress goes to stderr; the JSON result and a Markdown summary go to bench/results/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { topSelfTime } from './lib/cpu-profile.js';
import { AddressPool } from './lib/generator.js';
import { warmKafka } from './lib/kafka-warmup.js';
import { benchKafkaBrokers } from './lib/local-kafka.js';
import { hasTaskset } from './lib/proc.js';
import { PROFILES, type Profile } from './lib/profiles.js';
import { gitCommit, REPO_ROOT } from './lib/repo.js';
import { type BenchReport, computeRatios, toMarkdown } from './lib/report.js';
import { connections } from './scenarios/connections.js';
import { type Context, type Measurement, stopRunningTargets } from './scenarios/context.js';
import { fanIn } from './scenarios/fan-in.js';
import { fanOut } from './scenarios/fan-out.js';
import { FIXED_RATE_DIRECTIONS, fixedRate } from './scenarios/fixed-rate.js';
import { reconnectStorm } from './scenarios/reconnect.js';
import { createFleetMqTarget, FLEETMQ_METRICS, fleetMqAvailable, type BenchSessionStore } from './targets/fleetmq.js';
import { BareAedesTarget, MosquittoTarget, PrivateMosquittoTarget } from './targets/peers.js';
import type { Target } from './targets/target.js';

/** A Kafka just started runs its request path interpreted for tens of seconds (bench/lib/kafka-warmup.ts). */
const DEFAULT_KAFKA_WARMUP_S = 30;
const ALL_SCENARIOS = ['connections', 'fan-in', 'fan-in-sub', 'fan-out', 'reconnect', 'fixed-rate'] as const;
type ScenarioName = (typeof ALL_SCENARIOS)[number];

interface Options {
  profile: Profile;
  targets: string[];
  scenarios: ScenarioName[];
  cpuProf: boolean;
  outDir: string;
  /** undefined: a private Mosquitto per scenario; else the running one at host:port. */
  mosquitto?: { host: string; port: number };
  pin: boolean;
  fleetmqEntry: 'gateway' | 'fleetmq';
  /** FleetMQ targets' session store; 'redis' starts a private redis-server per broker start. */
  sessionStore: BenchSessionStore;
  /** Seconds Kafka is driven before the first measurement when a FleetMQ target runs (0: none). */
  kafkaWarmupS: number;
}

function parseArgs(argv: string[]): Options {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) args.set(k, inline);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args.set(k, argv[++i]);
    else args.set(k, 'true');
  }
  const known = ['profile', 'quick', 'targets', 'scenarios', 'reps', 'duration', 'payloads', 'connections', 'subscribers', 'cpu-prof', 'out', 'mosquitto', 'no-pin', 'fleetmq-entry', 'fleetmq-processes', 'reconnect-clients', 'rates', 'rate-directions', 'rate-duration', 'session-store', 'kafka-warmup'];
  for (const k of args.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k} (known: ${known.join(', ')})`);
  const name = args.has('quick') ? 'quick' : (args.get('profile') ?? 'default');
  if (!(name in PROFILES)) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  const profile: Profile = structuredClone(PROFILES[name as Profile['name']]);
  const int = (k: string): number | undefined => {
    const v = args.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${k} must be a positive integer`);
    return n;
  };
  profile.reps = int('reps') ?? profile.reps;
  profile.fanIn.durationMs = int('duration') ?? profile.fanIn.durationMs;
  profile.connections.perProcess = int('connections') ?? profile.connections.perProcess;
  profile.connections.fleetmqProcesses = int('fleetmq-processes') ?? profile.connections.fleetmqProcesses;
  profile.fanOut.subscribers = int('subscribers') ?? profile.fanOut.subscribers;
  profile.reconnect.clients = int('reconnect-clients') ?? profile.reconnect.clients;
  profile.fixedRate.durationMs = int('rate-duration') ?? profile.fixedRate.durationMs;
  if (args.has('rates')) profile.fixedRate.rates = (args.get('rates') as string).split(',').map(Number);
  if (profile.fixedRate.rates.some((r) => !Number.isInteger(r) || r <= 0)) throw new Error('--rates: positive integers (msg/s)');
  if (args.has('rate-directions')) profile.fixedRate.directions = (args.get('rate-directions') as string).split(',') as Profile['fixedRate']['directions'];
  const directions: readonly string[] = FIXED_RATE_DIRECTIONS;
  for (const d of profile.fixedRate.directions) if (!directions.includes(d)) throw new Error(`--rate-directions: ${d} is not one of ${directions.join(', ')}`);
  if (args.has('payloads')) profile.fanIn.payloads = (args.get('payloads') as string).split(',').map(Number);
  if (profile.fanIn.payloads.some((p) => !Number.isInteger(p) || p < 16)) throw new Error('--payloads: integers >= 16');
  const defaultTargets = ['mosquitto', 'aedes', ...(fleetMqAvailable() ? ['fleetmq-anon', 'fleetmq-sig'] : [])];
  const targets = args.get('targets')?.split(',') ?? defaultTargets;
  const scenarios = (args.get('scenarios')?.split(',') ?? [...ALL_SCENARIOS]) as ScenarioName[];
  for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
  const m = args.get('mosquitto');
  const [mhost, mport] = (m === undefined || m === 'private' ? '' : m === 'running' ? '127.0.0.1:1883' : m).split(':');
  const entry = args.get('fleetmq-entry') ?? 'gateway';
  if (entry !== 'gateway' && entry !== 'fleetmq') throw new Error('--fleetmq-entry must be gateway or fleetmq');
  const sessionStore = args.get('session-store') ?? 'memory';
  if (sessionStore !== 'memory' && sessionStore !== 'redis') throw new Error('--session-store must be memory or redis');
  // A smoke run measures nothing worth a warm-up.
  const warmup = Number(args.get('kafka-warmup') ?? (name === 'quick' ? 0 : DEFAULT_KAFKA_WARMUP_S));
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--kafka-warmup must be a whole number of seconds (0: none)');
  return {
    kafkaWarmupS: warmup,
    profile, targets, scenarios, cpuProf: args.has('cpu-prof'), outDir: args.get('out') ?? join(REPO_ROOT, 'bench/results'),
    mosquitto: mhost ? { host: mhost, port: Number(mport) } : undefined, pin: !args.has('no-pin'), fleetmqEntry: entry, sessionStore,
  };
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function createTarget(name: string, opts: Options): Promise<Target> {
  switch (name) {
    case 'mosquitto':
      return opts.mosquitto ? new MosquittoTarget(opts.mosquitto.host, opts.mosquitto.port) : new PrivateMosquittoTarget(log);
    case 'aedes':
      return new BareAedesTarget(log);
    case 'fleetmq-anon':
      return createFleetMqTarget('anonymous', opts.fleetmqEntry, log, opts.sessionStore);
    case 'fleetmq-sig':
      return createFleetMqTarget('signature', opts.fleetmqEntry, log, opts.sessionStore);
    default:
      throw new Error(`unknown target ${name} (mosquitto, aedes, fleetmq-anon, fleetmq-sig)`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[:.]/g, '-');
  mkdirSync(opts.outDir, { recursive: true });
  const pinned = opts.pin && hasTaskset() && cpus().length >= 2;
  const ctx: Context = {
    profile: opts.profile,
    addresses: new AddressPool(),
    brokerCpus: pinned ? '0' : undefined,
    loadCpus: pinned ? '1' : undefined,
    cpuProfDir: opts.cpuProf ? join(opts.outDir, `prof-${stamp}`) : undefined,
    profiles: [],
    log,
  };
  const targets: Target[] = [];
  for (const name of opts.targets) targets.push(await createTarget(name, opts));
  const versions: Record<string, string> = {};
  for (const t of targets) versions[t.name] = await t.version();
  const report: BenchReport = {
    startedAt,
    profile: opts.profile.name,
    argv: process.argv.slice(2),
    machine: {
      nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(),
      node: process.version, versions, commit: gitCommit(), loadAverageStart: loadavg(),
      pinning: pinned ? 'brokers on CPU 0, load generators on CPU 1 (taskset)' : 'none',
    },
    targets: targets.map((t) => ({ name: t.name, description: t.description })),
    measurements: [],
    ratios: [],
    cpuProfiles: [],
    failures: [],
    reproduce: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  log(`profile ${opts.profile.name}; targets ${opts.targets.join(', ')}; scenarios ${opts.scenarios.join(', ')}; ${report.machine.pinning}`);
  if (opts.kafkaWarmupS > 0 && targets.some((t) => t.isFleetMq)) {
    const brokers = (await benchKafkaBrokers(log)).split(',');
    const warmup = await warmKafka(brokers, opts.kafkaWarmupS * 1000, log);
    report.kafkaWarmup = warmup;
    log(`kafka warm-up done: ${warmup.produced} records, ${warmup.firstSecondPerSec}/s in the first second, ${warmup.lastSecondPerSec}/s in the last`);
  }
  const add = (m: Measurement | Measurement[]): void => {
    report.measurements.push(...(Array.isArray(m) ? m : [m]));
  };
  const guarded = async (target: Target, scenario: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${target.name} / ${scenario} FAILED: ${error}`);
      report.failures.push({ target: target.name, scenario, error });
    }
  };
  for (const scenario of opts.scenarios) {
    for (const target of targets) {
      const f = opts.profile.fanIn;
      switch (scenario) {
        case 'connections':
          await guarded(target, scenario, async () => add(await connections(target, ctx)));
          break;
        case 'fan-in':
          // Nobody reads on any target: the PUBACK rates compare the brokers alone (with Kafka for
          // FleetMQ), not a backend consumer sharing the machine's cores with one of them.
          for (const payload of f.payloads) {
            await guarded(target, `fan-in qos1 ${payload}`, async () => add(await fanIn(target, ctx, 1, payload, 'none')));
          }
          if (target.isFleetMq) {
            await guarded(target, 'fan-in qos1 with a backend consumer', async () => add(await fanIn(target, ctx, 1, f.payloads[0], 'natural')));
          }
          await guarded(target, 'fan-in qos0', async () => add(await fanIn(target, ctx, 0, f.payloads[0], 'natural')));
          break;
        case 'fan-in-sub':
          await guarded(target, 'fan-in qos1 with a subscriber', async () => add(await fanIn(target, ctx, 1, f.payloads[0], 'mqtt')));
          break;
        case 'fan-out':
          await guarded(target, scenario, async () => add(await fanOut(target, ctx)));
          break;
        case 'reconnect':
          await guarded(target, scenario, async () => add(await reconnectStorm(target, ctx, FLEETMQ_METRICS)));
          break;
        case 'fixed-rate':
          // Through Kafka: FleetMQ targets only (Kafka's own round trip is measured in the same run).
          if (target.isFleetMq) await guarded(target, scenario, async () => add(await fixedRate(target, ctx)));
          break;
      }
    }
  }
  report.finishedAt = new Date().toISOString();
  report.machine.loadAverageEnd = loadavg();
  report.ratios = computeRatios(report.measurements);
  for (const p of ctx.profiles) {
    try {
      report.cpuProfiles.push({ target: p.target, scenario: p.scenario, file: relative(REPO_ROOT, p.file), ...topSelfTime(p.file) });
    } catch (err) {
      log(`could not read profile ${p.file}: ${String(err)}`);
    }
  }
  const jsonFile = join(opts.outDir, `${stamp}.json`);
  const mdFile = join(opts.outDir, `${stamp}.md`);
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const md = toMarkdown(report);
  writeFileSync(mdFile, `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`results: ${relative(process.cwd(), jsonFile)} and ${relative(process.cwd(), mdFile)}`);
  if (!existsSync(jsonFile)) throw new Error('result not written');
  process.exitCode = report.failures.length ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping brokers started by this run`);
    const force = setTimeout(() => process.exit(130), 15_000);
    void stopRunningTargets().finally(() => {
      clearTimeout(force);
      process.exit(130);
    });
  });
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 2;
});
