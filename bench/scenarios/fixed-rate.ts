import { Kafka, logLevel } from 'kafkajs';
import { Histogram, summarize } from '../lib/histogram.js';
import { readCpuSeconds } from '../lib/proc.js';
import { bucketDelta, bucketQuantileMs, readPromGauge, readPromHistogram, type PromBuckets } from '../lib/prom-histogram.js';
import type { RateSendResult } from '../lib/protocol.js';
import type { ReceiptData } from '../lib/receipts.js';
import type { Target } from '../targets/target.js';
import { type Context, type Measurement, medians, newRunTag, sleep, withBroker, withGenerators } from './context.js';
import { DOWNLINK_TOPIC } from './fan-out.js';

const UPLINK_TOPIC = 'fleetmq.uplink';
/** Kafka's own round trip is measured on this topic (same broker, partitions as FleetMQ's). */
export const RTT_TOPIC = 'fleetmq.bench.rtt';
const PAYLOAD_BYTES = 128;
/** Every downlink record needs an ID of its own: with the Redis store a node publishes a broadcast only if it claims its ID first. */
const MSG_ID_HEADER = 'fleetmq-msgid';
const WARMUP_RATE = 1000;
/** How long the last messages of a phase may take to arrive before it is cut. */
const DRAIN_MS = 5000;

export const FIXED_RATE_DIRECTIONS = ['kafka', 'uplink', 'downlink-p2p', 'downlink-broadcast'] as const;
export type FixedRateDirection = (typeof FIXED_RATE_DIRECTIONS)[number];

/** The gateway's stage histograms (apps/gateway/src/bridge/bridge.metrics.ts), scraped around each phase. */
export const STAGES = {
  uplink: { hookToAck: 'fleetmq_uplink_ack_seconds' },
  downlink: { kafkaToGateway: 'fleetmq_downlink_fetch_lag_seconds', gatewayToSocket: 'fleetmq_downlink_delivery_seconds' },
} as const;

/**
 * Latency at a fixed offered rate, both directions, through a FleetMQ target:
 * - kafka: a kafkajs producer (acks=all) -> the latency-tuned consumer, Kafka alone (the floor);
 * - uplink: MQTT.js devices publishing QoS 1 -> `fleetmq.uplink` -> the same consumer;
 * - downlink-p2p / downlink-broadcast: the producer writes `fleetmq.downlink` records -> a
 *   P2P target device / the one subscriber of a topic.
 * Every point runs `reps` times; the gateway's stage histograms (/metrics) are scraped around
 * each phase, so each figure comes with where its time went.
 */
export async function fixedRate(target: Target, ctx: Context): Promise<Measurement[]> {
  const f = ctx.profile.fixedRate;
  const { downlinkRecord, metrics } = target;
  if (!target.isFleetMq || !downlinkRecord || !metrics) {
    throw new Error(`${target.name}: the fixed-rate scenario measures FleetMQ through Kafka (a fleetmq-* target)`);
  }
  const scrape = (): Promise<string[]> => metrics.call(target);
  return withBroker(ctx, target, 'fixed-rate', 1, () =>
    withGenerators(ctx, 'rate', 2, async ([sender, receiver]) => {
      // Known once the target started.
      const brokers = target.kafkaBrokers ?? [];
      await ensureRttTopic(brokers);
      const e = target.endpoints[0];
      const root = target.topicRoot;
      const bcastTopic = `${root}/fixed-rate/bcast`;
      const p2pIds = await receiver.call<string[]>({ op: 'rateConnect', spec: { pool: 'p2p', host: e.host, port: e.port, count: f.p2pDevices, idPrefix: `${target.idPrefix}frp`, auth: target.auth } });
      await receiver.call({ op: 'rateConnect', spec: { pool: 'bcast', host: e.host, port: e.port, count: 1, idPrefix: `${target.idPrefix}frb`, auth: target.auth, subscribe: bcastTopic } });
      await receiver.call({ op: 'rateConsume', spec: { brokers, topics: [UPLINK_TOPIC, RTT_TOPIC], groupId: `fleetmq-bench-rate-${Date.now()}` } });
      await sender.call({ op: 'rateConnect', spec: { pool: 'devices', host: e.host, port: e.port, count: f.devices, idPrefix: `${target.idPrefix}frd`, auth: target.auth } });
      const downlink = downlinkRecord.bind(target);
      const records = {
        kafka: Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, headers: {} })),
        'downlink-p2p': p2pIds.map((id) => downlink(`${root}/p2p/${id}`, id)),
        'downlink-broadcast': [downlink(bcastTopic)],
      };

      const phase = async (direction: FixedRateDirection, ratePerSec: number, durationMs: number): Promise<Record<string, number>> => {
        const runTag = newRunTag();
        const before = await scrape();
        const cpu0 = readCpuSeconds(e.pid);
        let sent: RateSendResult;
        if (direction === 'uplink') {
          sent = await sender.call<RateSendResult>({ op: 'ratePublish', spec: { pool: 'devices', topic: `${root}/fixed-rate/up/{id}`, ratePerSec, durationMs, payloadBytes: PAYLOAD_BYTES, runTag } });
        } else {
          const topic = direction === 'kafka' ? RTT_TOPIC : DOWNLINK_TOPIC;
          sent = await sender.call<RateSendResult>({ op: 'rateProduce', spec: { brokers, topic, records: records[direction], uniqueHeader: direction === 'kafka' ? undefined : MSG_ID_HEADER, ratePerSec, durationMs, payloadBytes: PAYLOAD_BYTES, runTag } });
        }
        const received = async (remove: boolean): Promise<ReceiptData & { fromGateway?: ReceiptData['latency'] }> => {
          if (direction === 'kafka' || direction === 'uplink') return receiver.call({ op: 'rateConsumed', runTag, remove });
          return receiver.call({ op: 'rateCounters', pool: direction === 'downlink-p2p' ? 'p2p' : 'bcast', runTag, remove });
        };
        const until = Date.now() + DRAIN_MS;
        while ((await received(false)).received < sent.acked && Date.now() < until) await sleep(50);
        const got = await received(true);
        const cpuSeconds = readCpuSeconds(e.pid) - cpu0;
        const after = await scrape();
        // metrics() gives '' for a gateway that does not answer: figures without it would be silently empty.
        if (after.every((text) => text === '')) throw new Error(`${target.name}: /metrics did not answer after ${direction} ${ratePerSec}/s (gateway exited? ${target.logHint?.() ?? ''})`);
        // Every thread of the gateway's process (the uplink worker too), sending and draining.
        return { ...figures(direction, sent, got, before, after), gatewayCpuUsPerMsg: Math.round((cpuSeconds / Math.max(1, sent.sent)) * 1e7) / 10 };
      };

      ctx.log(`${target.name}: fixed-rate warm-up (${WARMUP_RATE} msg/s, every direction)`);
      for (const direction of f.directions) await phase(direction, WARMUP_RATE, f.warmupMs);
      const out: Measurement[] = [];
      for (const rate of f.rates) {
        for (const direction of f.directions) {
          const reps: Array<Record<string, number>> = [];
          for (let rep = 0; rep < ctx.profile.reps; rep++) {
            reps.push(await phase(direction, rate, f.durationMs));
            ctx.log(`${target.name}: fixed-rate ${direction} ${rate}/s ${rep + 1}/${ctx.profile.reps}: ${JSON.stringify(reps[reps.length - 1])}`);
          }
          out.push({
            target: target.name, scenario: 'fixed-rate', variant: `${direction} ${rate} msg/s`, reps, median: medians(reps),
            info: { direction, ratePerSec: rate, durationMs: f.durationMs, spread: spread(reps) },
          });
        }
      }
      await receiver.call({ op: 'rateClose', pool: 'p2p' });
      await receiver.call({ op: 'rateClose', pool: 'bcast' });
      await sender.call({ op: 'rateClose', pool: 'devices' });
      return out;
    }),
  );
}

/** One phase's figures: end to end, the sender's acknowledgements, and the gateway's stages. */
function figures(direction: FixedRateDirection, sent: RateSendResult, got: ReceiptData & { fromGateway?: ReceiptData['latency'] }, before: string[], after: string[]): Record<string, number> {
  const e2e = summarize(Histogram.from(got.latency));
  const ack = summarize(Histogram.from(sent.latency));
  const out: Record<string, number> = {
    sent: sent.sent, received: got.received, lost: Math.max(0, sent.acked - got.received),
    p50Ms: e2e.p50Ms, p99Ms: e2e.p99Ms, maxMs: e2e.maxMs,
    // uplink: device -> PUBACK; otherwise: produce -> Kafka's acknowledgement (per request).
    ackP50Ms: ack.p50Ms, ackP99Ms: ack.p99Ms,
    // prom-client resets its event-loop delay monitor at each scrape: this is the phase's longest stall.
    eventLoopMaxMs: Math.round(readPromGauge(after, 'nodejs_eventloop_lag_max_seconds') * 100_000) / 100,
  };
  const stage = (key: string, name: string): void => {
    const d: PromBuckets = bucketDelta(readPromHistogram(before, name), readPromHistogram(after, name));
    out[`${key}P50Ms`] = bucketQuantileMs(d, 0.5);
    out[`${key}P99Ms`] = bucketQuantileMs(d, 0.99);
  };
  if (direction === 'uplink') {
    stage('hookToAck', STAGES.uplink.hookToAck);
    const fromGateway = summarize(Histogram.from(got.fromGateway ?? { counts: [], max: 0 }));
    out.gatewayToConsumerP50Ms = fromGateway.p50Ms;
    out.gatewayToConsumerP99Ms = fromGateway.p99Ms;
  } else if (direction !== 'kafka') {
    stage('kafkaToGateway', STAGES.downlink.kafkaToGateway);
    stage('gatewayToSocket', STAGES.downlink.gatewayToSocket);
  }
  return out;
}

/** Smallest and largest value of each figure over the repetitions. */
function spread(reps: Array<Record<string, number>>): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const k of Object.keys(reps[0] ?? {})) {
    const v = reps.map((r) => r[k]).filter((x) => Number.isFinite(x));
    if (v.length) out[k] = [Math.min(...v), Math.max(...v)];
  }
  return out;
}

async function ensureRttTopic(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'fleetmq-bench-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(RTT_TOPIC)) return;
    const uplink = (await admin.fetchTopicMetadata({ topics: [UPLINK_TOPIC] })).topics[0];
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: RTT_TOPIC, numPartitions: uplink?.partitions.length ?? 6, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}
