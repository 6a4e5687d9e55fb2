import { randomBytes } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  Inbox,
  RawSocket,
  connackReturnCode,
  connectClient,
  connectPacket,
  encode,
  endAllClients,
  publish,
  rawPublish,
  remainingLength,
  sleep,
  subscribe,
} from '../helpers/mqtt.js';
import { counter } from '../helpers/metrics.js';

const MAX_PAYLOAD = 1024;

describe('gateway protocol guards (raw bytes over TCP)', () => {
  let gw: TestGateway;

  /** A raw, anonymous, connected socket. */
  const connected = async (): Promise<RawSocket> => {
    const raw = await RawSocket.open(gw.port);
    raw.write(connectPacket(`raw-${randomBytes(4).toString('hex')}`));
    expect(connackReturnCode(await raw.waitBytes(4))).toBe(0);
    raw.received.length = 0;
    return raw;
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      config: { allowAnonymous: true, limits: { maxPayloadBytes: MAX_PAYLOAD, maxTopicLength: 64, preConnectMaxBytes: 4096, connectTimeoutMs: 800 } },
    });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  it('closes on a payload over the limit (and accepts one at the limit)', async () => {
    const before = await counter('fleetmq_gateway_oversize_packets_total');
    const ok = await connected();
    ok.write(rawPublish(Buffer.from('t/ok'), Buffer.alloc(MAX_PAYLOAD), 1, 7));
    const ack = await ok.waitBytes(4);
    expect([...ack.subarray(0, 4)]).toEqual([0x40, 2, 0, 7]); // PUBACK 7
    expect(await ok.closedWithin(200)).toBe(false);
    const big = await connected();
    big.write(rawPublish(Buffer.from('t/big'), Buffer.alloc(MAX_PAYLOAD + 1), 1, 8));
    expect(await big.closedWithin(1000)).toBe(true);
    expect(big.received.length).toBe(0); // no PUBACK
    expect(await counter('fleetmq_gateway_oversize_packets_total')).toBe(before + 1);
  });

  it('closes on a huge remaining length before the body arrives, even before CONNECT', async () => {
    const before = await counter('fleetmq_gateway_protocol_violations_total', { reason: 'oversize' });
    const raw = await RawSocket.open(gw.port);
    // PUBLISH header announcing ~256 MB, then nothing: must not wait for (or buffer) the body.
    raw.write(Buffer.concat([Buffer.from([0x30]), remainingLength(268_435_455)]));
    expect(await raw.closedWithin(1000)).toBe(true);
    const connectedRaw = await connected();
    connectedRaw.write(Buffer.concat([Buffer.from([0x30]), remainingLength(200_000_000), Buffer.alloc(100)]));
    expect(await connectedRaw.closedWithin(1000)).toBe(true);
    expect(await counter('fleetmq_gateway_protocol_violations_total', { reason: 'oversize' })).toBe(before + 2);
  });

  it('caps the bytes a socket may send before CONNECT is accepted, and times out a silent one', async () => {
    const before = await counter('fleetmq_gateway_protocol_violations_total', { reason: 'pre-connect-bytes' });
    const chatty = await RawSocket.open(gw.port);
    // One chunk over the 4096-byte cap: a CONNECT whose length passes the cap, plus more bytes.
    chatty.write(Buffer.concat([Buffer.from([0x10]), remainingLength(4000), Buffer.alloc(4600, 0x41)]));
    expect(await chatty.closedWithin(1000)).toBe(true);
    expect(await counter('fleetmq_gateway_protocol_violations_total', { reason: 'pre-connect-bytes' })).toBe(before + 1);
    const silent = await RawSocket.open(gw.port);
    const t0 = Date.now();
    expect(await silent.closedWithin(3000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
  });

  it('closes on PUBLISH QoS>0 with packet identifier 0 [MQTT-2.3.1-1], also on SUBSCRIBE', async () => {
    const before = await counter('fleetmq_gateway_protocol_violations_total', { reason: 'packet-id-zero' });
    const pub = await connected();
    pub.write(rawPublish(Buffer.from('t/x'), Buffer.from('p'), 1, 0));
    expect(await pub.closedWithin(1000)).toBe(true);
    expect(pub.received.length).toBe(0);
    const sub = await connected();
    // SUBSCRIBE, packet id 0, filter "a", QoS 0
    sub.write(Buffer.from([0x82, 6, 0, 0, 0, 1, 0x61, 0]));
    expect(await sub.closedWithin(1000)).toBe(true);
    expect(await counter('fleetmq_gateway_protocol_violations_total', { reason: 'packet-id-zero' })).toBe(before + 2);
  });

  it('closes on ill-formed UTF-8 and on U+0000 in a topic, but accepts a real U+FFFD', async () => {
    const spy = await connectClient(gw.mqttUrl, { clientId: 'utf8-spy' });
    const inbox = new Inbox(spy);
    await subscribe(spy, '#');
    const cases: Array<[string, Buffer, string]> = [
      ['lone continuation byte', Buffer.from([0x61, 0x80, 0x62]), 'invalid-utf8'],
      ['UTF-16 surrogate encoded in UTF-8', Buffer.from([0x61, 0xed, 0xa0, 0x80]), 'invalid-utf8'],
      ['overlong NUL', Buffer.from([0x61, 0xc0, 0x80]), 'invalid-utf8'],
      ['U+0000', Buffer.from([0x61, 0x00, 0x62]), 'null-character'],
    ];
    for (const [name, topic, reason] of cases) {
      const before = await counter('fleetmq_gateway_protocol_violations_total', { reason });
      const raw = await connected();
      raw.write(rawPublish(topic, Buffer.from(name), 1, 5));
      expect([name, await raw.closedWithin(1000)]).toEqual([name, true]);
      expect([name, raw.received.length]).toEqual([name, 0]);
      expect([name, await counter('fleetmq_gateway_protocol_violations_total', { reason })]).toEqual([name, before + 1]);
    }
    const legit = await connected();
    legit.write(rawPublish(Buffer.from('a/\uFFFD', 'utf8'), Buffer.from('replacement char'), 1, 6));
    await legit.waitBytes(4);
    expect(await legit.closedWithin(200)).toBe(false);
    const got = await inbox.next();
    expect(got.topic).toBe('a/\uFFFD');
    await inbox.none((m) => m.topic !== 'a/\uFFFD', 100);
    // ill-formed UTF-8 in a SUBSCRIBE filter too
    const sub = await connected();
    sub.write(Buffer.from([0x82, 7, 0, 9, 0, 2, 0x61, 0xff, 0]));
    expect(await sub.closedWithin(1000)).toBe(true);
  });

  it('closes on a topic over the length limit', async () => {
    const raw = await connected();
    raw.write(rawPublish(Buffer.from('t/' + 'x'.repeat(80)), Buffer.from('p'), 0));
    expect(await raw.closedWithin(1000)).toBe(true);
  });

  it('survives random and truncated garbage from many sockets; other clients keep working', async () => {
    const healthy = await connectClient(gw.mqttUrl, { clientId: 'healthy' });
    const inbox = new Inbox(healthy);
    await subscribe(healthy, 'alive/#');
    const sockets: RawSocket[] = [];
    for (let i = 0; i < 30; i++) {
      const raw = i % 2 === 0 ? await RawSocket.open(gw.port) : await connected();
      sockets.push(raw);
      for (let j = 0; j < 5; j++) raw.write(randomBytes(1 + Math.floor(Math.random() * 300)));
    }
    // Valid packets cut short: a CONNECT and a PUBLISH missing their tails.
    const truncated = await RawSocket.open(gw.port);
    truncated.write(connectPacket('trunc').subarray(0, 9));
    truncated.destroy();
    const half = await connected();
    half.write(encode({ cmd: 'publish', topic: 'alive/x', payload: Buffer.alloc(200), qos: 1, messageId: 3, retain: false, dup: false }).subarray(0, 50));
    half.destroy();
    await sleep(300);
    for (const s of sockets) s.destroy();
    await publish(healthy, 'alive/check', 'still here', { qos: 1 });
    expect((await inbox.next()).payload.toString()).toBe('still here');
    expect(await counter('fleetmq_gateway_protocol_violations_total')).toBeGreaterThan(0);
  });
});
