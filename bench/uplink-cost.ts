/**
 * What the Kafka side of a QoS 1 PUBLISH costs a gateway, without any MQTT: the gateway's own
 * UplinkProducer (same settings as the gateway: 6 lanes, linger 0, one request in flight, acks=all) is kept at
 * 2,000 records in flight, as the fan-in scenario keeps 2,000 PUBLISHes in flight, for a fixed
 * time. Reports acknowledged records/s and this process's CPU per record. Run it pinned to one
 * core to compare with the fan-in figures (brokers run on CPU 0 there):
 *
 *   npm run bench:uplink -- [--encoder fleetmq|kafkajs] [--seconds 10]
 *   taskset -c 0 node dist/bench/uplink-cost.js ...    (pinned, as in the fan-in scenario)
 *
 * `--encoder kafkajs` builds the Kafka client without FleetMQ's produce encoder (the build
 * before it), so the two runs show what the encoder saves. The result is printed and written to
 * `bench/results/uplink/<timestamp>-<encoder>.json` (`--out dir` elsewhere), with the machine,
 * the CPUs this process may run on and the load average, for `npm run bench:report`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { createLogger } from '#config';
import { createKafka, ensureTopics, producerFactory, UplinkProducer, uplinkRequestsInFlight, type UplinkMessage } from '#messaging';
import { benchKafkaBrokers } from './lib/local-kafka.js';
import { gitCommit, REPO_ROOT } from './lib/repo.js';
import type { UplinkCostResult } from './lib/uplink-result.js';

const IN_FLIGHT = 2_000;
const CLIENTS = 200;
const LANES = 6;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** The CPUs the scheduler may run this process on: `0` when pinned with `taskset -c 0`. */
function cpusAllowed(): string {
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ?? 'unknown';
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageStart = loadavg();
  const outDir = option('out', join(REPO_ROOT, 'bench/results/uplink'));
  const encoder = option('encoder', 'fleetmq');
  const seconds = Number(option('seconds', '10'));
  if (encoder !== 'fleetmq' && encoder !== 'kafkajs') throw new Error('--encoder must be fleetmq or kafkajs');
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  const log = (line: string): void => void process.stderr.write(`[uplink-cost] ${line}\n`);
  const brokers = (await benchKafkaBrokers(log)).split(',');
  const logger = createLogger('warn');
  const kafka =
    encoder === 'fleetmq'
      ? createKafka({ brokers, clientId: 'bench-uplink-cost', logger })
      : new kafkajs.Kafka({ brokers, clientId: 'bench-uplink-cost', logLevel: kafkajs.logLevel.NOTHING });
  const topic = 'bench.uplink-cost';
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topic], LANES, 1);
  await admin.disconnect();

  const producer = new UplinkProducer({
    createProducer: producerFactory(kafka, { maxInFlightRequests: uplinkRequestsInFlight(LANES, { maxRequestsInFlight: 1 }) }),
    logger,
    nodeId: 'bench-node',
    topic,
    lanes: LANES,
    lingerMs: 0,
    maxRequestsInFlight: 1,
    maxBatchRecords: 2_000,
    maxQueuedRecords: 50_000,
    maxQueuedQos0: 20_000,
  });
  await producer.start();

  const payload = Buffer.alloc(128, 0x61);
  const messages: UplinkMessage[] = Array.from({ length: CLIENTS }, (_, i) => ({
    instanceId: 'fmq-bench',
    clientId: `GID_bench@@@dev${i}`,
    topic: `bench/dev${i}/telemetry`,
    qos: 1,
    retain: false,
    payload,
  }));

  let acked = 0;
  let counting = false;
  let stopping = false;
  let next = 0;
  const send = (): void => {
    if (stopping) return;
    producer.send(messages[next++ % CLIENTS]!, (err) => {
      if (err) throw err;
      if (counting) acked++;
      send();
    });
  };
  for (let i = 0; i < IN_FLIGHT; i++) send();

  await new Promise((resolve) => setTimeout(resolve, 2_000)); // warm-up
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const progress = setInterval(() => log(`${acked} acknowledged`), 2_000);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1_000;
  const counted = acked;
  clearInterval(progress);
  stopping = true;
  await producer.stop();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result: UplinkCostResult = {
    startedAt,
    argv: process.argv.slice(2),
    machine: { nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, commit: gitCommit(), cpusAllowed: cpusAllowed(), loadAverageStart },
    encoder,
    recordsPerSec: Math.round(counted / elapsed),
    cpuMicrosPerRecord: Math.round((cpuSeconds / counted) * 1e6 * 10) / 10,
    cpuPercentOfOneCore: Math.round((cpuSeconds / elapsed) * 100),
    seconds: elapsed,
  };
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${startedAt.replace(/[:.]/g, '-')}-${encoder}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  log(`result: ${file}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
