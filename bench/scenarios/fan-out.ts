import type { Generator } from '../lib/generator.js';
import { readRssBytes } from '../lib/proc.js';
import type { PublishResult, ReceiverCounters } from '../lib/protocol.js';
import { mergeReceipts } from '../lib/receipts.js';
import type { Target } from '../targets/target.js';
import { type Context, type Measurement, medians, newRunTag, shares, sleep, withBroker, withGenerators } from './context.js';

export const DOWNLINK_TOPIC = 'fleetmq.downlink';
const FANOUT_PAYLOAD = 128;

/**
 * Fan-out: N subscribers of one topic get broadcasts (time until all N have it, delivery
 * latency), then P2P messages to random subscribers (rate, latency), then a subscriber that
 * never reads gets a stream while the broker's RSS is watched (is its queue bounded?).
 * FleetMQ is driven through Kafka downlink records, the peers by one MQTT publisher.
 */
export async function fanOut(target: Target, ctx: Context): Promise<Measurement[]> {
  const f = ctx.profile.fanOut;
  const perGen = ctx.profile.connections.perGenerator;
  return withBroker(ctx, target, 'fan-out', 1, () =>
    withGenerators(ctx, 'fanout', Math.ceil(f.subscribers / perGen) + 1, async (gens) => {
      const pubGen = gens[gens.length - 1];
      const subGens = gens.slice(0, -1);
      const e = target.endpoints[0];
      const root = target.topicRoot;
      const counts = shares(f.subscribers, subGens.length);
      const clientIds: string[] = [];
      ctx.log(`${target.name}: connecting ${f.subscribers} subscribers`);
      await Promise.all(subGens.map((g, gi) => {
        const idPrefix = `${target.idPrefix}fo${gi}n`;
        for (let i = 0; i < counts[gi]; i++) clientIds.push(`${idPrefix}${i}`);
        return g.call({
          op: 'connect',
          spec: {
            pool: 'fan', host: e.host, port: e.port, count: counts[gi], idPrefix, startIndex: 0, localAddresses: ctx.addresses.take(1),
            keepalive: 0, clean: true, concurrency: 200, timeoutMs: 60_000, auth: target.auth,
            subscribe: { topics: [`${root}/bcast`, ...(target.p2pNeedsSubscribe ? [`${root}/p2p/{id}`] : [])], qos: 0 },
          },
        });
      }));
      const take = async (runTag: number, remove: boolean) =>
        mergeReceipts(await Promise.all(subGens.map((g) => g.call<ReceiverCounters>({ op: 'counters', pool: 'fan', runTag, remove }))));
      const waitFor = async (runTag: number, expected: number, maxMs: number): Promise<number> => {
        const t0 = Date.now();
        while (Date.now() - t0 < maxMs) {
          if ((await take(runTag, false)).received >= expected) break;
          await sleep(50);
        }
        return Date.now() - t0;
      };
      const sendDownlink = async (runTag: number, records: Array<{ key: string; headers: Record<string, string> }>, batch: number) =>
        pubGen.call({ op: 'kafkaProduce', spec: { brokers: target.kafkaBrokers ?? [], topic: DOWNLINK_TOPIC, records, payloadBytes: FANOUT_PAYLOAD, batch, intervalMs: 0, runTag } });
      const publishMqtt = (runTag: number, topics: string[], count: number, random: boolean, qos: 0 | 1, payloadBytes = FANOUT_PAYLOAD) =>
        pubGen.call<PublishResult>({
          op: 'publish',
          spec: {
            host: e.host, port: e.port, clientId: `${target.idPrefix}pub${runTag}`, localAddress: ctx.addresses.take(1)[0], auth: target.auth,
            qos, payloadBytes, topics, random, count, inflight: 10, intervalMs: 0, maxMs: 120_000, runTag,
          },
        });

      // Broadcasts, one at a time.
      const bcastReps: Array<Record<string, number>> = [];
      for (let b = 0; b < f.broadcasts; b++) {
        const runTag = newRunTag();
        if (target.downlinkRecord) await sendDownlink(runTag, [target.downlinkRecord(`${root}/bcast`)], 1);
        else await publishMqtt(runTag, [`${root}/bcast`], 1, false, 0);
        await waitFor(runTag, f.subscribers, 30_000);
        await sleep(200);
        const got = await take(runTag, true);
        const timeToAllMs = got.summary.maxMs;
        bcastReps.push({
          delivered: got.received, timeToAllMs, deliveriesPerSec: Math.round(got.received / (timeToAllMs / 1000)),
          p50Ms: got.summary.p50Ms, p99Ms: got.summary.p99Ms,
        });
        ctx.log(`${target.name}: broadcast ${b + 1}/${f.broadcasts}: ${JSON.stringify(bcastReps[bcastReps.length - 1])}`);
      }

      // P2P to random subscribers.
      const p2pReps: Array<Record<string, number>> = [];
      for (let rep = 0; rep < ctx.profile.reps; rep++) {
        const runTag = newRunTag();
        const t0 = Date.now();
        if (target.downlinkRecord) {
          const records = Array.from({ length: f.p2pMessages }, () => {
            const id = clientIds[Math.floor(Math.random() * clientIds.length)];
            return (target.downlinkRecord as NonNullable<Target['downlinkRecord']>)(`${root}/p2p/${id}`, id);
          });
          await sendDownlink(runTag, records, 500);
        } else {
          await publishMqtt(runTag, clientIds.map((id) => `${root}/p2p/${id}`), f.p2pMessages, true, 1);
        }
        await waitFor(runTag, f.p2pMessages, 30_000);
        const wallMs = Date.now() - t0;
        const got = await take(runTag, true);
        p2pReps.push({ delivered: got.received, perSec: Math.round((got.received / wallMs) * 1000), p50Ms: got.summary.p50Ms, p99Ms: got.summary.p99Ms });
        ctx.log(`${target.name}: p2p ${rep + 1}/${ctx.profile.reps}: ${JSON.stringify(p2pReps[p2pReps.length - 1])}`);
      }
      await Promise.all(subGens.map((g) => g.call({ op: 'close', pool: 'fan' })));

      const slow = await slowSubscriber(target, ctx, subGens[0], pubGen, sendDownlink, publishMqtt);
      return [
        { target: target.name, scenario: 'fan-out-broadcast', variant: `${f.subscribers} subscribers`, reps: bcastReps, median: medians(bcastReps), info: {} },
        { target: target.name, scenario: 'fan-out-p2p', variant: `${f.p2pMessages} msgs to random of ${f.subscribers}`, reps: p2pReps, median: medians(p2pReps), info: {} },
        slow,
      ];
    }),
  );
}

async function slowSubscriber(
  target: Target, ctx: Context, subGen: Generator, pubGen: Generator,
  sendDownlink: (runTag: number, records: Array<{ key: string; headers: Record<string, string> }>, batch: number) => Promise<unknown>,
  publishMqtt: (runTag: number, topics: string[], count: number, random: boolean, qos: 0 | 1, payloadBytes?: number) => Promise<PublishResult>,
): Promise<Measurement> {
  const f = ctx.profile.fanOut;
  const e = target.endpoints[0];
  const topic = `${target.topicRoot}/slow`;
  await subGen.call({
    op: 'connect',
    spec: {
      pool: 'slow', host: e.host, port: e.port, count: 1, idPrefix: `${target.idPrefix}slow`, startIndex: 0, localAddresses: ctx.addresses.take(1),
      keepalive: 0, clean: true, concurrency: 1, timeoutMs: 30_000, auth: target.auth, subscribe: { topics: [topic], qos: 0 },
    },
  });
  await subGen.call({ op: 'pauseReading', pool: 'slow' });
  await sleep(1500);
  const rss0 = readRssBytes(e.pid);
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, readRssBytes(e.pid));
  }, 100);
  const runTag = newRunTag();
  ctx.log(`${target.name}: ${f.slowMessages} x ${f.slowPayloadBytes} B to a subscriber that never reads`);
  if (target.downlinkRecord) {
    const build = target.downlinkRecord.bind(target);
    await sendDownlink(runTag, Array.from({ length: f.slowMessages }, () => build(topic)), 500);
  } else {
    await publishMqtt(runTag, [topic], f.slowMessages, false, 1, f.slowPayloadBytes);
  }
  await sleep(3000);
  clearInterval(sampler);
  const rssEnd = readRssBytes(e.pid);
  peak = Math.max(peak, rssEnd);
  await subGen.call({ op: 'resumeReading', pool: 'slow' });
  await sleep(3000);
  const got = await subGen.call<ReceiverCounters>({ op: 'counters', pool: 'slow', runTag, remove: true });
  await subGen.call({ op: 'close', pool: 'slow' });
  const sentBytes = f.slowMessages * f.slowPayloadBytes;
  const growth = peak - rss0;
  const rep = {
    sentMB: Math.round(sentBytes / 1e5) / 10,
    rssPeakGrowthMB: Math.round(growth / 1e5) / 10,
    rssGrowthAfterMB: Math.round((rssEnd - rss0) / 1e5) / 10,
    growthPerSentByte: Math.round((growth / sentBytes) * 1000) / 1000,
    receivedAfterResume: got.received,
    subscriberDisconnected: got.closed > 0 ? 1 : 0,
  };
  ctx.log(`${target.name}: slow subscriber: ${JSON.stringify(rep)}`);
  return {
    target: target.name, scenario: 'fan-out-slow-subscriber', variant: `${f.slowMessages} x ${f.slowPayloadBytes} B`,
    reps: [rep], median: rep,
    info: { bounded: growth < sentBytes * 0.5, note: 'bounded = RSS peak growth below half the bytes sent to the stuck subscriber' },
  };
}
