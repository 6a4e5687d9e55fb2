/**
 * The fixed-rate load (generator-process side): MQTT.js devices that publish QoS 1 at a fixed
 * total rate or receive, a kafkajs producer that writes records at a fixed rate, and a kafkajs
 * consumer tuned for latency. Open loop: a message is sent when its time has come, whether or
 * not earlier ones were acknowledged, so a slow system shows as latency, not as a lower rate.
 */
import { computeSignature } from '#auth';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { Histogram } from './histogram.js';
import { nowMs, PAYLOAD_HEADER_BYTES, readPayloadHeader, writePayloadHeader } from './mqtt-client.js';
import type { Auth, HistogramData, RateConnectSpec, RateConsumeSpec, RateProduceSpec, RatePublishSpec, RateSendResult } from './protocol.js';
import { ReceiptBook, type ReceiptData } from './receipts.js';


/** Pacing tick: at 10k msg/s about ten messages go out per tick. */
const TICK_MS = 1;

/**
 * The backend consumer's settings, for FleetMQ's records and for Kafka's own round trip alike:
 * a fetch returns as soon as one byte is there (minBytes 1) and waits at most 10 ms otherwise;
 * every partition is handled concurrently; offsets are not committed (nothing to resume).
 */
export const LATENCY_CONSUMER = { maxWaitTimeInMs: 10, minBytes: 1, maxBytesPerPartition: 1024 * 1024, partitionsConsumedConcurrently: 6 } as const;

interface DevicePool {
  clients: MqttClient[];
  book: ReceiptBook;
}

const pools = new Map<string, DevicePool>();

function credentials(auth: Auth, clientId: string): { username?: string; password?: string } {
  if (auth.mode === 'none') return {};
  return { username: `Signature|${auth.accessKeyId}|${auth.instanceId}`, password: computeSignature(auth.secret, clientId) };
}

function connectOne(spec: RateConnectSpec, clientId: string, book: ReceiptBook): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      host: spec.host, port: spec.port, clientId, clean: true, keepalive: 60, reconnectPeriod: 0, connectTimeout: 30_000,
      protocolVersion: 4, ...credentials(spec.auth, clientId),
    });
    client.once('error', reject);
    client.once('connect', () => {
      client.off('error', reject);
      client.on('error', () => undefined);
      client.on('message', (_topic, payload) => {
        const header = readPayloadHeader(payload);
        if (header === undefined) book.foreign++;
        else book.record(header.runTag, nowMs(), header.sentAt);
      });
      if (spec.subscribe === undefined) return resolve(client);
      client.subscribe(spec.subscribe, { qos: 0 }, (err) => (err ? reject(err) : resolve(client)));
    });
  });
}

/** Connects `count` MQTT.js devices (IDs `${idPrefix}0..`); received benchmark messages are counted per run tag. */
export async function rateConnect(spec: RateConnectSpec): Promise<string[]> {
  const book = new ReceiptBook();
  const ids = Array.from({ length: spec.count }, (_, i) => `${spec.idPrefix}${i}`);
  const clients = await Promise.all(ids.map((id) => connectOne(spec, id, book)));
  pools.set(spec.pool, { clients, book });
  return ids;
}

export function rateCounters(pool: string, runTag: number, remove: boolean): ReceiptData {
  const p = pools.get(pool);
  if (!p) throw new Error(`no device pool ${pool}`);
  return p.book.take(runTag, remove);
}

export async function rateClose(pool: string): Promise<void> {
  const p = pools.get(pool);
  pools.delete(pool);
  await Promise.all((p?.clients ?? []).map((c) => c.endAsync().catch(() => undefined)));
}

/**
 * Calls `send(i)` for message i = 0.. at `ratePerSec` for `durationMs`: each tick sends the
 * messages whose time has come. Resolves when the last one was sent.
 */
function paced(ratePerSec: number, durationMs: number, send: (i: number, count: number) => void): Promise<number> {
  const total = Math.round((ratePerSec * durationMs) / 1000);
  const t0 = nowMs();
  let sent = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((nowMs() - t0) * ratePerSec) / 1000) + 1);
      if (due > sent) {
        send(sent, due - sent);
        sent = due;
      }
      if (sent >= total) resolve(sent);
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
}

/** Waits until `pending()` is 0 or `maxMs` passed. */
async function settle(pending: () => number, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (pending() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

function payload(bytes: number, runTag: number): Buffer {
  const value = Buffer.alloc(Math.max(bytes, PAYLOAD_HEADER_BYTES), 0x61);
  writePayloadHeader(value, 0, runTag, nowMs());
  return value;
}

/** The pool's devices publish QoS 1 in turn at the fixed total rate; PUBACK latency is measured. */
export async function ratePublish(spec: RatePublishSpec): Promise<RateSendResult> {
  const p = pools.get(spec.pool);
  if (!p) throw new Error(`no device pool ${spec.pool}`);
  const pubacks = new Histogram();
  let acked = 0;
  let failed = 0;
  let issued = 0;
  const sent = await paced(spec.ratePerSec, spec.durationMs, (first, count) => {
    for (let i = first; i < first + count; i++) {
      const client = p.clients[i % p.clients.length];
      const value = payload(spec.payloadBytes, spec.runTag);
      const t = value.readDoubleBE(8);
      issued++;
      client.publish(spec.topic.replace('{id}', client.options.clientId ?? ''), value, { qos: 1 }, (err) => {
        if (err) failed++;
        else {
          acked++;
          pubacks.record((nowMs() - t) * 1000);
        }
      });
    }
  });
  await settle(() => issued - acked - failed, 10_000);
  return { sent, acked, failed, latency: pubacks.toJSON() };
}

let producer: Producer | undefined;
let consumer: Consumer | undefined;
const consumed = new ReceiptBook();
/** Per run tag: the `fleetmq-ts` header (the gateway's time, ms) -> consumer. */
const fromGateway = new Map<number, Histogram>();

function kafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/**
 * Produces records cycling through `records` at the fixed rate: each tick's records go in one
 * request (acks=all, as FleetMQ's producers), without waiting for the previous request.
 */
export async function rateProduce(spec: RateProduceSpec): Promise<RateSendResult> {
  if (!producer) {
    producer = kafka(spec.brokers, 'fleetmq-bench-rate-producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }
  const acks = new Histogram();
  let acked = 0;
  let failed = 0;
  let issued = 0;
  const out = producer;
  const sent = await paced(spec.ratePerSec, spec.durationMs, (first, count) => {
    const messages = new Array<{ key: string; value: Buffer; headers: Record<string, string> }>(count);
    const t = nowMs();
    for (let i = 0; i < count; i++) {
      const r = spec.records[(first + i) % spec.records.length];
      const headers = spec.uniqueHeader === undefined ? r.headers : { ...r.headers, [spec.uniqueHeader]: `${spec.runTag}-${first + i}` };
      messages[i] = { key: r.key, value: payload(spec.payloadBytes, spec.runTag), headers };
    }
    issued += count;
    out.send({ topic: spec.topic, acks: -1, messages }).then(
      () => {
        acked += count;
        acks.record((nowMs() - t) * 1000);
      },
      () => {
        failed += count;
      },
    );
  });
  await settle(() => issued - acked - failed, 10_000);
  return { sent, acked, failed, latency: acks.toJSON() };
}

/** A consumer of `topics` from their end, with LATENCY_CONSUMER's settings; resolves once it fetches. */
export async function rateConsume(spec: RateConsumeSpec): Promise<void> {
  const { partitionsConsumedConcurrently, ...settings } = LATENCY_CONSUMER;
  const c = kafka(spec.brokers, 'fleetmq-bench-rate-consumer').consumer({ groupId: spec.groupId, ...settings });
  consumer = c;
  await c.connect();
  for (const topic of spec.topics) await c.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
  await c.run({
    autoCommit: false,
    partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      const now = nowMs();
      for (const m of batch.messages) {
        const header = m.value ? readPayloadHeader(m.value) : undefined;
        if (header === undefined) {
          consumed.foreign++;
          continue;
        }
        consumed.record(header.runTag, now, header.sentAt);
        const ts = m.headers?.['fleetmq-ts'];
        if (ts === undefined) continue;
        let h = fromGateway.get(header.runTag);
        if (!h) fromGateway.set(header.runTag, (h = new Histogram()));
        h.record((now - Number(ts.toString())) * 1000);
      }
    },
  });
  await joined;
  // "latest" is resolved at the first fetch after the join: give it that fetch before load starts.
  await new Promise((r) => setTimeout(r, 1500));
}

export function rateConsumed(runTag: number, remove: boolean): ReceiptData & { fromGateway: HistogramData } {
  const h = fromGateway.get(runTag) ?? new Histogram();
  if (remove) fromGateway.delete(runTag);
  return { ...consumed.take(runTag, remove), fromGateway: h.toJSON() };
}

export async function rateKafkaStop(): Promise<void> {
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  consumer = undefined;
  producer = undefined;
}
