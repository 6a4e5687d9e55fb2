import { Histogram, summarize } from '../lib/histogram.js';
import type { Generator } from '../lib/generator.js';
import type { FanInResult, ReceiverCounters } from '../lib/protocol.js';
import { type ReceiptData, ratePerSecond } from '../lib/receipts.js';
import { isAlive, readCpuSeconds, readRssBytes } from '../lib/proc.js';
import type { Target } from '../targets/target.js';
import { sumMetric } from './reconnect.js';
import { type Context, type Measurement, medians, newRunTag, sleep, withBroker, withGenerators } from './context.js';

export const UPLINK_TOPIC = 'fleetmq.uplink';
/** Gateway counters read around each FleetMQ repetition (what was accepted, produced, dropped). */
const FAN_IN_METRICS = [
  'fleetmq_gateway_publishes_in_total', 'fleetmq_uplink_produced_total', 'fleetmq_uplink_acked_total',
  'fleetmq_uplink_failed_total', 'fleetmq_uplink_dropped_total',
];

/**
 * Who observes delivery in a fan-in: nobody, the target's natural receiver (one QoS 0 MQTT
 * subscriber on the peers, a kafkajs consumer of fleetmq.uplink on FleetMQ: publish -> backend
 * received), or one QoS 0 MQTT subscriber of the publishers' topics on every target (FleetMQ:
 * a device subscribed inside the instance, so its deliveries go through the ACL and namespace
 * hooks after Kafka acknowledged each record).
 */
export type FanInReceiver = 'none' | 'natural' | 'mqtt';

/** How often the broker's RSS is read while an MQTT subscriber receives (bounded memory or not). */
const RSS_SAMPLE_MS = 250;

/**
 * Fan-in: `clients` publishers, QoS 1 with `inflight` PUBLISHes outstanding each (PUBACK rate
 * and publish->PUBACK latency; for FleetMQ a PUBACK means Kafka acknowledged the record), or
 * QoS 0 as fast as backpressure allows; delivery observed as `receiver` says.
 */
export async function fanIn(target: Target, ctx: Context, qos: 0 | 1, payloadBytes: number, receiver: FanInReceiver): Promise<Measurement> {
  const f = ctx.profile.fanIn;
  const withReceiver = receiver !== 'none';
  const viaKafka = receiver === 'natural' && target.isFleetMq;
  // Same variant name on every target so figures line up; what received is in info.receiver.
  const variant = `qos${qos} ${payloadBytes} B`;
  // FleetMQ's QoS 1 with its backend consumer is a scenario of its own: no peer has one to compare.
  const scenario = `fan-in-qos${qos}${receiver === 'mqtt' ? '-sub' : viaKafka && qos === 1 ? '-backend' : ''}`;
  return withBroker(ctx, target, scenario, 1, () =>
    withGenerators(ctx, 'fanin', withReceiver ? 2 : 1, async (gens) => {
      const [pub, sub] = gens;
      const e = target.endpoints[0];
      if (viaKafka) {
        await sub.call({ op: 'kafkaConsume', spec: { brokers: target.kafkaBrokers ?? [], topic: UPLINK_TOPIC, groupId: `fleetmq-bench-${Date.now()}` } });
      }
      const reps: Array<Record<string, number>> = [];
      const info: Record<string, unknown> = {
        exactness: [] as unknown[], brokerExited: false,
        receiver: withReceiver ? (viaKafka ? `kafkajs consumer of ${UPLINK_TOPIC}` : 'one MQTT QoS 0 subscriber') : 'none',
      };
      for (let rep = 0; rep < ctx.profile.reps; rep++) {
        if (!isAlive(e.pid)) break;
        try {
          await oneRep(rep);
        } catch (err) {
          // Keep the repetitions done so far (e.g. aedes dying of its unbounded subscriber queue).
          if (reps.length === 0 || isAlive(e.pid)) throw err;
          info.failedRepetition = err instanceof Error ? err.message : String(err);
          break;
        }
      }
      async function oneRep(rep: number): Promise<void> {
        const runTag = newRunTag();
        const subPool = `sub-${runTag}`;
        if (withReceiver && !viaKafka) {
          await sub.call({
            op: 'connect',
            spec: {
              pool: subPool, host: e.host, port: e.port, count: 1, idPrefix: `${target.idPrefix}sub`, startIndex: rep,
              localAddresses: ctx.addresses.take(1), keepalive: 0, clean: true, concurrency: 1, timeoutMs: 30_000,
              auth: target.auth, subscribe: { topics: [`${target.topicRoot}/in/#`], qos: 0 },
            },
          });
        }
        ctx.log(`${target.name}: fan-in ${variant}, repetition ${rep + 1}/${ctx.profile.reps}`);
        const m0 = target.metrics ? await target.metrics() : undefined;
        const rss = receiver === 'mqtt' ? sampleRss(e.pid) : undefined;
        const cpu0 = readCpuSeconds(e.pid);
        const r = await pub.call<FanInResult>({
          op: 'fanIn',
          spec: {
            host: e.host, port: e.port, clients: f.clients, idPrefix: `${target.idPrefix}pub`, localAddresses: ctx.addresses.take(1),
            auth: target.auth, qos, payloadBytes, inflight: f.inflight, topic: `${target.topicRoot}/in/{id}`, warmupMs: f.warmupMs,
            durationMs: f.durationMs, drainMs: 10_000, runTag,
          },
        });
        const cpuSeconds = readCpuSeconds(e.pid) - cpu0;
        const lat = summarize(Histogram.from(r.latency));
        const row: Record<string, number> = {
          perSec: Math.round(r.windowCount / (r.windowMs / 1000)),
          ...(qos === 1 ? { ackP50Ms: lat.p50Ms, ackP99Ms: lat.p99Ms } : {}),
          // The broker process's CPU (every thread) over warm-up, window and drain, per message it acknowledged (QoS 0: accepted).
          cpuUsPerMsg: Math.round((cpuSeconds / Math.max(1, qos === 1 ? r.acked : r.sent)) * 1e7) / 10,
        };
        (info.exactness as unknown[]).push({
          sent: r.sent, acked: r.acked, unexpectedAcks: r.unexpectedAcks, outstandingAfterDrain: r.outstandingAfterDrain, disconnects: r.disconnects,
        });
        if (withReceiver) {
          const got = await collect(viaKafka, sub, subPool, runTag, qos === 1 ? r.acked : r.sent, Math.min(15_000, 2 * (f.warmupMs + f.durationMs) + 2000));
          row.deliveredPerSec = Math.round(ratePerSecond(got, r.windowStartMs, r.windowEndMs));
          const d = summarize(Histogram.from(got.latency));
          row.deliveredP50Ms = d.p50Ms;
          row.deliveredP99Ms = d.p99Ms;
          row.deliveredTotal = got.received;
          if (!viaKafka) await sub.call({ op: 'close', pool: subPool });
        }
        if (rss !== undefined) Object.assign(row, rss.stop());
        if (m0 && target.metrics) {
          const m1 = await target.metrics();
          const deltas: Record<string, number> = {};
          for (const name of FAN_IN_METRICS) deltas[name] = sumMetric(m1, name) - sumMetric(m0, name);
          (info.metricDeltas as unknown[] | undefined) ?? (info.metricDeltas = []);
          (info.metricDeltas as unknown[]).push(deltas);
          if (qos === 0) row.droppedQos0 = deltas.fleetmq_uplink_dropped_total;
        }
        reps.push(row);
        ctx.log(`${target.name}: ${variant}: ${JSON.stringify(row)}`);
      }
      if (reps.length === 0) throw new Error(`${target.name}: broker exited before the first repetition`);
      if (viaKafka) await sub.call({ op: 'kafkaStop' });
      return { target: target.name, scenario, variant, reps, median: medians(reps), info };
    }),
  );
}

/** Waits (bounded) until the receiver stops getting messages of this run, then takes its receipts. */
async function collect(viaKafka: boolean, gen: Generator, pool: string, runTag: number, expected: number, maxWaitMs: number): Promise<ReceiptData> {
  let last = -1;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const got = viaKafka
      ? await gen.call<ReceiptData>({ op: 'kafkaCounters', runTag, remove: false })
      : await gen.call<ReceiverCounters>({ op: 'counters', pool, runTag, remove: false });
    if (got.received >= expected || got.received === last || Date.now() > deadline) {
      return viaKafka
        ? gen.call<ReceiptData>({ op: 'kafkaCounters', runTag, remove: true })
        : gen.call<ReceiverCounters>({ op: 'counters', pool, runTag, remove: true });
    }
    last = got.received;
    await sleep(1000);
  }
}

/**
 * Reads the broker's RSS every RSS_SAMPLE_MS from the start of the publishers' run until after
 * the subscriber's deliveries were collected: a broker that queues for its subscriber without
 * bound shows it in the peak and the end value.
 */
function sampleRss(pid: number): { stop(): Record<string, number> } {
  const read = (): number => (isAlive(pid) ? readRssBytes(pid) : 0);
  const start = read();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      const end = read();
      const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
      return { rssStartMB: mb(start), rssPeakMB: mb(Math.max(peak, end)), rssEndMB: mb(end) };
    },
  };
}
