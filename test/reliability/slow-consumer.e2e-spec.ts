// Reliability 5 — a subscriber that never reads its socket.
// Proves: a raw TCP subscriber that subscribes and then stops reading (socket paused, so the
// kernel buffers fill and the gateway's socket.writableLength grows) is disconnected by
// policy and counted (fleetmq_gateway_slow_consumer_disconnects_total), the gateway's RSS
// stays bounded while QoS 0 and QoS 1 traffic keeps flowing to that topic, and a
// well-behaved subscriber of the same topic receives every message, with a bounded pause.
//  (a) many publishers: the stalled deliveries pile up past limits.maxOutgoingBufferBytes;
//  (b) one publisher: aedes holds that publisher's flow on the stalled socket, the buffer
//      never reaches the byte limit, and the no-progress deadline (STALLED_WRITE_MS) applies.
// Before the fix, (b) stalled every subscriber for 60 s (aedes' drainTimeout) and (a) too.
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { STALLED_WRITE_MS } from '../../apps/gateway/src/hooks/backlog-sweep.js';
import { waitFor } from '../helpers/wait.js';
import { Inbox, RawSocket, connectClient, connectPacket, encode, endAllClients, endClient, publish, subscribe } from '../helpers/mqtt.js';
import { GatewayProcess, createTestDatabase, report, runTag, scale } from './harness.js';

const PAYLOAD_BYTES = 16 * 1024;
const MAX_OUTGOING = 256 * 1024;

describe('reliability: slow consumer', () => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let gw: GatewayProcess | undefined;
  const raws: RawSocket[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // The in-process bus acknowledges uplink at once: this test is about the downlink side.
    gw = new GatewayProcess({ databaseUrl: db.url, env: { FLEETMQ_MAX_OUTGOING_BUFFER_BYTES: String(MAX_OUTGOING) } });
    await gw.start();
  }, 60_000);

  afterAll(async () => {
    for (const raw of raws) raw.destroy();
    await endAllClients();
    await gw?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  /** `pauseMs` paces each publisher: a flood faster than the good subscriber reads would (rightly) cut it too. */
  async function scenario(name: string, publishers: number, messages: number, pauseMs: number): Promise<{ slowDisconnects: number; maxGapMs: number }> {
    const topic = `slow/${runTag('t')}`;
    const url = gw!.mqttUrl;
    const errorsBefore = await gw!.metric('fleetmq_gateway_disconnects_total', { reason: 'error' });
    const slowBefore = await gw!.metric('fleetmq_gateway_slow_consumer_disconnects_total');

    const slow = await RawSocket.open(gw!.mqttPort);
    raws.push(slow);
    // Keep-alive 0: only the slow-consumer policy may end this connection, not a missed PINGREQ.
    slow.write(connectPacket(runTag('slow-'), { keepalive: 0 }));
    slow.write(encode({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] } as mqttPacket.ISubscribePacket));
    // CONNACK (4 bytes) + SUBACK (5 bytes), then never read again.
    const handshake = await slow.waitBytes(9);
    expect(handshake[3]).toBe(0);
    expect(handshake[8]).toBe(1);
    slow.socket.pause();

    const good = await connectClient(url, { clientId: runTag('good-') });
    expect(await subscribe(good, topic, 1)).toEqual([1]);
    const inbox = new Inbox(good);
    let goodCloses = 0;
    good.on('close', () => goodCloses++);
    // A stalled subscriber must not stall the others for long: the longest pause between two messages.
    let lastAt = 0;
    let maxGapMs = 0;
    good.on('message', () => {
      const now = Date.now();
      if (lastAt > 0) maxGapMs = Math.max(maxGapMs, now - lastAt);
      lastAt = now;
    });
    const pubs: MqttClient[] = [];
    for (let i = 0; i < publishers; i++) pubs.push(await connectClient(url, { clientId: runTag('pub-') }));

    const baselineKb = gw!.rssKb();
    let peakKb = baselineKb;
    let slowClosedAt: number | undefined;
    const sampler = setInterval(() => {
      if (gw!.running) peakKb = Math.max(peakKb, gw!.rssKb());
    }, 50);
    const watcher = setInterval(() => {
      if (slowClosedAt !== undefined) return;
      void gw!.metric('fleetmq_gateway_slow_consumer_disconnects_total').then((n) => {
        if (n > slowBefore) slowClosedAt ??= Date.now();
      });
    }, 100);
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
    const t0 = Date.now();
    try {
      // Each publisher alternates QoS 0 and QoS 1, at most 16 messages unacknowledged.
      const perPublisher = Math.ceil(messages / publishers);
      await Promise.all(
        pubs.map(async (pub) => {
          const inflight: Promise<void>[] = [];
          for (let i = 0; i < perPublisher; i++) {
            inflight.push(publish(pub, topic, payload, { qos: (i % 2) as 0 | 1 }));
            if (inflight.length >= 16) await Promise.all(inflight.splice(0));
            if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
          }
          await Promise.all(inflight);
        }),
      );
      await waitFor(() => goodCloses > 0 || inbox.messages.length >= perPublisher * publishers, { timeoutMs: 90_000, what: 'all messages at the good subscriber' });
    } finally {
      clearInterval(sampler);
      clearInterval(watcher);
    }
    const elapsedMs = Date.now() - t0;
    const total = Math.ceil(messages / publishers) * publishers;
    const errorsAfter = await gw!.metric('fleetmq_gateway_disconnects_total', { reason: 'error' });
    const slowDisconnects = (await gw!.metric('fleetmq_gateway_slow_consumer_disconnects_total')) - slowBefore;

    // Reading again, the slow socket finds the end of its stream: the gateway closed it.
    let bytesRead = Buffer.concat(slow.received).length;
    slow.socket.on('data', (d: Buffer) => (bytesRead += d.length));
    slow.socket.resume();
    const slowClosed = await slow.closedWithin(15_000);
    const goodClosed = goodCloses; // before our own end() below
    for (const pub of pubs) await endClient(pub);
    await endClient(good);

    report(`slow-consumer-${name}`, {
      publishers,
      messages: total,
      payloadBytes: PAYLOAD_BYTES,
      totalMb: Math.round((total * PAYLOAD_BYTES) / 1024 / 1024),
      maxOutgoingBytes: MAX_OUTGOING,
      slowClosedAfterMs: slowClosedAt === undefined ? undefined : slowClosedAt - t0,
      slowClosed,
      slowBytesRead: bytesRead,
      goodReceived: inbox.messages.length,
      goodCloses: goodClosed,
      goodMaxGapMs: maxGapMs,
      elapsedMs,
      errorDisconnects: errorsAfter - errorsBefore,
      slowConsumerDisconnects: slowDisconnects,
      rssBaselineMb: Math.round(baselineKb / 1024),
      rssPeakMb: Math.round(peakKb / 1024),
    });
    expect(goodClosed).toBe(0);
    expect(slowClosed).toBe(true);
    expect(errorsAfter - errorsBefore).toBe(1);
    expect(inbox.messages.length).toBe(total);
    // What the slow socket got is what fit in the kernel buffers plus at most the limit, not the stream.
    expect(bytesRead).toBeLessThan((total * PAYLOAD_BYTES) / 2);
    expect(peakKb - baselineKb).toBeLessThan(200 * 1024);
    expect(gw!.running).toBe(true);
    return { slowDisconnects, maxGapMs };
  }

  it('(a) many publishers: closed over maxOutgoingBufferBytes, others barely pause', async () => {
    const { slowDisconnects, maxGapMs } = await scenario('bytes', 24, scale(3_000, 12_000), 20);
    expect(slowDisconnects).toBe(1);
    expect(maxGapMs).toBeLessThan(2_000);
  }, 180_000);

  it('(b) one publisher: closed after STALLED_WRITE_MS without progress, not after 60 s', async () => {
    const { slowDisconnects, maxGapMs } = await scenario('stall', 1, scale(2_000, 20_000), 0);
    expect(slowDisconnects).toBe(1);
    expect(maxGapMs).toBeLessThan(STALLED_WRITE_MS + 2_000);
  }, 180_000);
});
