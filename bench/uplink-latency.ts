/**
 * The gateway's uplink sink alone (no MQTT, no gateway): the worker-thread sink or the
 * main-thread producer, with the gateway's settings unless told, writing to a topic of its own.
 * Open loop (`--rate`): records at a fixed rate, send → acknowledged latency (p50/p90/p99/max)
 * and CPU per record; closed loop (`--inflight n`): n records outstanding, records/s and CPU per
 * record. CPU is the whole process (every thread) and the main thread alone, from /proc. For
 * A/B comparisons of the produce path on a busy machine, where the MQTT benches are noise:
 *
 *   npm run bench:uplink-latency -- [--thread worker|main] [--rate 10000 | --inflight 2000]
 *     [--seconds 5] [--lanes 6] [--linger 0] [--requests 1]
 *
 * Prints one JSON line; writes no result file.
 */
import { performance } from 'node:perf_hooks';
import { createLogger, type UplinkSettings } from '#config';
import { createKafka, ensureTopics, producerFactory, UplinkProducer, uplinkRequestsInFlight, type UplinkMessage, type UplinkSink } from '#messaging';
import { createWorkerUplink } from '../libs/messaging/src/kafka/uplink-worker/worker-uplink-factory.js';
import { Histogram } from './lib/histogram.js';
import { benchKafkaBrokers } from './lib/local-kafka.js';
import { readCpuSeconds, readThreadCpuSeconds } from './lib/proc.js';

const TOPIC = 'bench.uplink-latency';
const CLIENTS = 200;
const WARM_UP_MS = 2_000;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

/** CPU seconds of this process's main thread alone (its task has the process's id). */
const mainThreadCpuSeconds = (): number => readThreadCpuSeconds(process.pid, process.pid);

const round = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const thread = option('thread', 'worker') === 'main' ? 'main' : 'worker';
  const rate = Number(option('rate', '10000'));
  const inflight = Number(option('inflight', '0'));
  const seconds = Number(option('seconds', '5'));
  const lanes = Number(option('lanes', '6'));
  const uplink: UplinkSettings = {
    thread,
    lingerMs: Number(option('linger', '0')),
    maxRequestsInFlight: Number(option('requests', '1')),
    maxBatchRecords: 2_000,
    maxQueuedRecords: 50_000,
    maxQueuedQos0: 20_000,
  };
  const log = (line: string): void => void process.stderr.write(`[uplink-latency] ${line}\n`);
  const brokers = (await benchKafkaBrokers(log)).split(',');
  const logger = createLogger('warn');
  const kafka = createKafka({ brokers, clientId: 'bench-uplink-latency', logger });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [TOPIC], lanes, 1);
  await admin.disconnect();
  const sink: UplinkSink =
    thread === 'worker'
      ? createWorkerUplink({ brokers, clientId: 'bench-uplink-latency', nodeId: 'bench', partitions: lanes, uplink, logger, topic: TOPIC })
      : new UplinkProducer({ createProducer: producerFactory(kafka, { maxInFlightRequests: uplinkRequestsInFlight(lanes, uplink) }), logger, nodeId: 'bench', lanes, topic: TOPIC, ...uplink });
  await sink.start();
  const payload = Buffer.alloc(128, 0x61);
  const messages: UplinkMessage[] = Array.from({ length: CLIENTS }, (_, i) => ({
    instanceId: 'fmq-bench', clientId: `GID_bench@@@dev${i}`, topic: `bench/dev${i}/telemetry`, qos: 1, retain: false, payload,
  }));
  let latency = new Histogram();
  let acked = 0;
  let failed = 0;
  let next = 0;
  const sendTimed = (): void => {
    const t = performance.now();
    sink.send(messages[next++ % CLIENTS]!, (err) => {
      if (err) failed++;
      else {
        acked++;
        latency.record((performance.now() - t) * 1000);
      }
    });
  };
  let stopping = false;
  const sendLooped = (): void => {
    if (stopping) return;
    sink.send(messages[next++ % CLIENTS]!, (err) => {
      if (err) failed++;
      else acked++;
      sendLooped();
    });
  };
  /** Sends at `rate` for `ms`, a 1 ms pacing tick; resolves once every record sent is settled (or 10 s later). */
  const paced = async (ms: number): Promise<void> => {
    const total = Math.round((rate * ms) / 1000);
    const t0 = performance.now();
    let sent = 0;
    const settledBefore = acked + failed;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
        for (; sent < due; sent++) sendTimed();
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const until = performance.now() + 10_000;
    while (acked + failed - settledBefore < total && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  };

  if (inflight > 0) {
    for (let i = 0; i < inflight; i++) sendLooped();
    await new Promise((r) => setTimeout(r, WARM_UP_MS));
  } else {
    await paced(WARM_UP_MS);
  }
  latency = new Histogram();
  acked = 0;
  const cpu0 = readCpuSeconds(process.pid);
  const main0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  if (inflight > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
  else await paced(seconds * 1000);
  const counted = acked;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = readCpuSeconds(process.pid) - cpu0;
  const mainCpu = mainThreadCpuSeconds() - main0;
  stopping = true;
  const c = sink.uplinkCounters;
  const q = (x: number): number => round(latency.quantile(x) / 1000);
  const result = {
    lanes, ...uplink, ...(inflight > 0 ? { inflight, perSec: Math.round(counted / elapsed) } : { rate, p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: round(latency.max / 1000) }),
    acked: counted, failed,
    cpuUsPerRecord: round((cpu / counted) * 1e6),
    mainThreadCpuUsPerRecord: round((mainCpu / counted) * 1e6),
    recordsPerLaneBatch: c.batches > 0 ? Math.round(c.produced / c.batches) : 0,
  };
  await sink.stop();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
