/**
 * The load itself (pools of raw MQTT clients, fan-in, publishers), run inside a generator
 * process (worker.ts) or directly by tests. `setProgress` receives human progress lines.
 */
import { computeSignature } from '#auth';
import type { Packet } from 'mqtt-packet';
import { Histogram } from './histogram.js';
import { connectClient, nowMs, PublishTemplate, RawClient, readPayloadHeader } from './mqtt-client.js';
import type {
  Auth, ConnectResult, FanInResult, FanInSpec, PoolSpec, PublishResult, PublishSpec, ReceiverCounters,
} from './protocol.js';
import { ReceiptBook } from './receipts.js';

let progress: (text: string) => void = () => undefined;
export function setProgress(fn: (text: string) => void): void {
  progress = fn;
}

function credentials(auth: Auth, clientId: string): { username?: string; password?: string } {
  if (auth.mode === 'none') return {};
  return { username: `Signature|${auth.accessKeyId}|${auth.instanceId}`, password: computeSignature(auth.secret, clientId) };
}

function countError(errors: Record<string, number>, err: unknown): void {
  const key = err instanceof Error ? err.message : String(err);
  errors[key] = (errors[key] ?? 0) + 1;
}

const PUBACK_BYTES = 4;

/** Counts benchmark messages a pool of clients receives (per run tag) and answers QoS 1. */
class Receiver {
  readonly book = new ReceiptBook();

  handle(client: RawClient, p: Packet): void {
    if (p.cmd !== 'publish') return;
    if (p.qos === 1 && p.messageId !== undefined) {
      const ack = Buffer.allocUnsafe(PUBACK_BYTES);
      ack[0] = 0x40;
      ack[1] = 0x02;
      ack.writeUInt16BE(p.messageId, 2);
      client.write(ack);
    }
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
    const header = readPayloadHeader(payload);
    if (header === undefined) this.book.foreign++;
    else this.book.record(header.runTag, nowMs(), header.sentAt);
  }
}

interface Pool {
  spec: PoolSpec;
  clients: Array<RawClient | undefined>;
  receiver: Receiver;
  closed: number;
  pingTimer?: NodeJS.Timeout;
}

const pools = new Map<string, Pool>();

function clientIdOf(spec: PoolSpec, i: number): string {
  return `${spec.idPrefix}${spec.startIndex + i}`;
}

async function openOne(pool: Pool, i: number, localAddress: string): Promise<void> {
  const { spec } = pool;
  const clientId = clientIdOf(spec, i);
  const client = await connectClient({
    host: spec.host, port: spec.port, localAddress, clientId, keepalive: spec.keepalive, clean: spec.clean,
    timeoutMs: spec.timeoutMs, ...credentials(spec.auth, clientId),
  });
  client.onPacket = (p) => pool.receiver.handle(client, p);
  client.onClose = () => {
    pool.closed++;
  };
  pool.clients[i] = client;
  for (const topic of spec.subscribe?.topics ?? []) await client.subscribe(topic.replace('{id}', clientId), spec.subscribe?.qos ?? 0);
}

/** Opens `indexes` of the pool with at most `concurrency` CONNECTs pending at once. */
async function openMany(pool: Pool, indexes: number[], localAddresses: string[], concurrency: number): Promise<ConnectResult> {
  const errors: Record<string, number> = {};
  const latency = new Histogram();
  let next = 0;
  let connected = 0;
  let failed = 0;
  const t0 = nowMs();
  const ticker = setInterval(() => {
    progress(`${pool.spec.pool}: ${connected}/${indexes.length} connected, ${failed} failed, ${Math.round((nowMs() - t0) / 1000)} s`);
  }, 1000);
  const lane = async (): Promise<void> => {
    while (next < indexes.length) {
      const k = next++;
      const i = indexes[k];
      try {
        await openOne(pool, i, localAddresses[k % localAddresses.length]);
        connected++;
        latency.record((nowMs() - t0) * 1000);
      } catch (err) {
        failed++;
        countError(errors, err);
      }
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, indexes.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  clearInterval(ticker);
  return { connected, failed, errors, elapsedMs: nowMs() - t0, latency: latency.toJSON() };
}

/**
 * Keep-alive: each client sends PINGREQ every half keep-alive period (the server may close
 * after 1.5 periods of silence), spread over the period. Runs from the start of the ramp so
 * the first clients are not silent while the last ones connect.
 */
function startPings(pool: Pool): void {
  const period = Math.max(1, Math.floor(pool.spec.keepalive / 2));
  if (pool.spec.keepalive <= 0) return;
  // Slots follow wall-clock seconds, and every slot a late tick skipped is pinged too: under a
  // busy ramp the 1 s timer fired seconds late, so whole slots went past 1.5x keep-alive unpinged
  // and the broker rightly dropped them.
  const started = Date.now();
  let done = 0;
  pool.pingTimer = setInterval(() => {
    const due = Math.floor((Date.now() - started) / 1000) + 1;
    const from = Math.max(done, due - period);
    for (let tick = from; tick < due; tick++) {
      const slot = tick % period;
      for (let i = slot; i < pool.clients.length; i += period) pool.clients[i]?.ping();
    }
    done = due;
  }, 1000);
  pool.pingTimer.unref();
}

export async function connect(spec: PoolSpec): Promise<ConnectResult> {
  if (pools.has(spec.pool)) throw new Error(`pool ${spec.pool} exists`);
  const pool: Pool = { spec, clients: new Array(spec.count), receiver: new Receiver(), closed: 0 };
  pools.set(spec.pool, pool);
  startPings(pool);
  return openMany(pool, Array.from({ length: spec.count }, (_, i) => i), spec.localAddresses, spec.concurrency);
}

export function poolOf(name: string): Pool {
  const pool = pools.get(name);
  if (!pool) throw new Error(`no pool ${name}`);
  return pool;
}

/** Drops every socket of the pool at once (as a network outage would) and reconnects all. */
export async function reconnect(name: string, localAddresses: string[], concurrency: number): Promise<ConnectResult> {
  const pool = poolOf(name);
  const indexes: number[] = [];
  pool.clients.forEach((c, i) => {
    if (!c) return;
    c.onClose = () => undefined;
    c.destroy();
    pool.clients[i] = undefined;
    indexes.push(i);
  });
  return openMany(pool, indexes, localAddresses, concurrency);
}

export function close(name: string): void {
  const pool = pools.get(name);
  if (!pool) return;
  if (pool.pingTimer) clearInterval(pool.pingTimer);
  for (const c of pool.clients) {
    if (!c) continue;
    c.onClose = () => undefined;
    c.destroy();
  }
  pools.delete(name);
}

export function counters(name: string, runTag: number, remove: boolean): ReceiverCounters {
  const pool = poolOf(name);
  return {
    ...pool.receiver.book.take(runTag, remove), foreign: pool.receiver.book.foreign,
    open: pool.clients.filter((c) => c && !c.closed).length, closed: pool.closed,
  };
}

/** Size of the per-client ring of send times; far above any in-flight window used. */
const RING = 1024;

/**
 * The ring slot of an outstanding packet id, cleared so a second PUBACK for it counts as
 * unexpected; -1 when the id is not outstanding (a forged or repeated PUBACK).
 */
function takeOutstanding(ids: Int32Array, messageId: number | undefined): number {
  const id = messageId ?? -1;
  const slot = id & (RING - 1);
  if (id <= 0 || ids[slot] !== id) return -1;
  ids[slot] = 0;
  return slot;
}
/** QoS 0 fan-in: one QoS 1 marker after this many QoS 0 PUBLISHes (see below). */
export const MARKER_EVERY = 100;

/**
 * Fan-in: every client keeps `inflight` QoS 1 PUBLISHes outstanding (a new one per PUBACK),
 * or writes QoS 0 PUBLISHes as fast as socket backpressure allows. Counts exactly the PUBACKs
 * that match an outstanding packet id; anything else is an `unexpectedAck`.
 */
export async function fanIn(spec: FanInSpec): Promise<FanInResult> {
  const poolSpec: PoolSpec = {
    pool: `fanin-${Date.now()}`, host: spec.host, port: spec.port, count: spec.clients, idPrefix: spec.idPrefix,
    startIndex: 0, localAddresses: spec.localAddresses, keepalive: 0, clean: true, concurrency: 50, timeoutMs: 30_000,
    auth: spec.auth,
  };
  const pool: Pool = { spec: poolSpec, clients: new Array(spec.clients), receiver: new Receiver(), closed: 0 };
  pools.set(poolSpec.pool, pool);
  const opened = await openMany(pool, Array.from({ length: spec.clients }, (_, i) => i), spec.localAddresses, 50);
  if (opened.failed > 0) {
    close(poolSpec.pool);
    throw new Error(`fan-in: ${opened.failed} clients failed to connect: ${JSON.stringify(opened.errors)}`);
  }
  const latency = new Histogram();
  let sent = 0;
  let acked = 0;
  let unexpected = 0;
  let windowCount = 0;
  let outstanding = 0;
  let disconnects = 0;
  const start = nowMs();
  const windowStart = start + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  let sending = true;

  const clients = pool.clients as RawClient[];
  let resolveFinished: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });
  let draining = false;
  const maybeDone = (): void => {
    if (draining && outstanding === 0) resolveFinished();
  };
  for (const client of clients) {
    const template = new PublishTemplate(spec.topic.replace('{id}', client.clientId), spec.payloadBytes, spec.qos);
    client.onClose = () => {
      disconnects++;
    };
    if (spec.qos === 1) {
      const sentAt = new Float64Array(RING);
      const ids = new Int32Array(RING);
      const sendOne = (): void => {
        const id = client.allocId();
        const t = nowMs();
        const slot = id & (RING - 1);
        ids[slot] = id;
        sentAt[slot] = t;
        outstanding++;
        sent++;
        client.write(template.build(id, spec.runTag, t));
      };
      client.onPacket = (p) => {
        if (p.cmd !== 'puback') return;
        const slot = takeOutstanding(ids, p.messageId);
        if (slot < 0) {
          unexpected++;
          return;
        }
        outstanding--;
        acked++;
        const t = nowMs();
        if (t >= windowStart && t < windowEnd) {
          windowCount++;
          latency.record((t - sentAt[slot]) * 1000);
        }
        if (sending && t < windowEnd) sendOne();
        else maybeDone();
      };
      client.socket.cork();
      for (let k = 0; k < spec.inflight; k++) sendOne();
      process.nextTick(() => client.socket.uncork());
    } else {
      // QoS 0 has no acknowledgement, and loopback sockets buffer megabytes: counting writes would
      // count the kernel's buffers, not the broker. So every MARKER_EVERY QoS 0 PUBLISHes a QoS 1
      // marker follows; its PUBACK proves the broker has read everything before it (one
      // connection is read in order). At most `inflight` markers are outstanding: that is the
      // flow control, and only confirmed messages count.
      const marker = new PublishTemplate(spec.topic.replace('{id}', client.clientId), spec.payloadBytes, 1);
      const covered = new Int32Array(RING);
      const ids = new Int32Array(RING);
      const sentAt = new Float64Array(RING);
      let sinceMarker = 0;
      let markers = 0;
      let waiting = false;
      const pump = (): void => {
        waiting = false;
        for (let k = 0; k < 64; k++) {
          const t = nowMs();
          if (!sending || t >= windowEnd || client.closed) return;
          if (markers >= spec.inflight) {
            waiting = true;
            return;
          }
          sent++;
          sinceMarker++;
          let ok = client.write(template.build(0, spec.runTag, t));
          if (sinceMarker >= MARKER_EVERY) {
            const id = client.allocId();
            const slot = id & (RING - 1);
            ids[slot] = id;
            covered[slot] = sinceMarker;
            sentAt[slot] = t;
            sinceMarker = 0;
            markers++;
            outstanding++;
            ok = client.write(marker.build(id, spec.runTag, t));
          }
          if (!ok) {
            client.socket.once('drain', pump);
            return;
          }
        }
        setImmediate(pump);
      };
      client.onPacket = (p) => {
        if (p.cmd !== 'puback') return;
        const slot = takeOutstanding(ids, p.messageId);
        if (slot < 0) {
          unexpected++;
          return;
        }
        markers--;
        outstanding--;
        acked += covered[slot];
        const t = nowMs();
        if (t >= windowStart && t < windowEnd) {
          windowCount += covered[slot];
          latency.record((t - sentAt[slot]) * 1000);
        }
        if (waiting) pump();
        maybeDone();
      };
      pump();
    }
  }
  const ticker = setInterval(() => {
    const t = nowMs();
    const phase = t < windowStart ? 'warm-up' : t < windowEnd ? 'measuring' : 'draining';
    progress(`fan-in qos${spec.qos}: ${phase}, sent ${sent}, acked ${acked}, outstanding ${outstanding}`);
  }, 1000);
  const stopTimer = setTimeout(() => {
    sending = false;
    draining = true;
    maybeDone();
    setTimeout(resolveFinished, spec.drainMs).unref();
  }, windowEnd - start + 5);
  await finished;
  clearTimeout(stopTimer);
  clearInterval(ticker);
  close(poolSpec.pool);
  return {
    clients: spec.clients, sent, acked, unexpectedAcks: unexpected, outstandingAfterDrain: outstanding,
    windowMs: spec.durationMs, windowCount, latency: latency.toJSON(), disconnects, windowStartMs: windowStart, windowEndMs: windowEnd,
  };
}

/** One publisher for fan-out (broadcast pacing) and P2P (random targets, QoS 1 window). */
export async function publish(spec: PublishSpec): Promise<PublishResult> {
  const client = await connectClient({
    host: spec.host, port: spec.port, localAddress: spec.localAddress, clientId: spec.clientId, keepalive: 0, clean: true,
    timeoutMs: 30_000, ...credentials(spec.auth, spec.clientId),
  });
  const templates = spec.topics.map((t) => new PublishTemplate(t, spec.payloadBytes, spec.qos));
  const latency = new Histogram();
  const sentAt = new Float64Array(RING);
  let sent = 0;
  let acked = 0;
  let outstanding = 0;
  const t0 = nowMs();
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, spec.maxMs);
    const finish = (): void => {
      clearTimeout(deadline);
      resolve();
    };
    let k = 0;
    const sendOne = (): void => {
      const idx = spec.random ? Math.floor(Math.random() * templates.length) : k++ % templates.length;
      const id = spec.qos === 1 ? client.allocId() : 0;
      const t = nowMs();
      sentAt[id & (RING - 1)] = t;
      sent++;
      outstanding++;
      client.write(templates[idx].build(id, spec.runTag, t));
    };
    client.onClose = finish;
    if (spec.qos === 1) {
      client.onPacket = (p) => {
        if (p.cmd !== 'puback') return;
        outstanding--;
        acked++;
        latency.record((nowMs() - sentAt[(p.messageId ?? 0) & (RING - 1)]) * 1000);
        if (sent < spec.count) {
          if (spec.intervalMs > 0) setTimeout(sendOne, spec.intervalMs);
          else sendOne();
        } else if (outstanding === 0) finish();
      };
      for (let i = 0; i < Math.min(spec.inflight, spec.count); i++) sendOne();
    } else {
      const loop = (): void => {
        if (sent >= spec.count) return finish();
        sendOne();
        outstanding = 0;
        if (spec.intervalMs > 0) setTimeout(loop, spec.intervalMs);
        else if (sent % 64 === 0) setImmediate(loop);
        else loop();
      };
      loop();
    }
  });
  const elapsedMs = nowMs() - t0;
  client.disconnect();
  return { sent, acked, elapsedMs, latency: latency.toJSON() };
}

