// Issue 9 item 1 and its class: packets whose fields mqtt-packet 9.0.2 and aedes 1.2.0 leave
// unchecked are closed, a CONNECT without CONNACK [MQTT-3.1.4-1]; a well-formed will the client
// may not publish follows FLEETMQ_DENY_ACTION. Raw bytes over real TCP sockets.
import { randomBytes } from 'node:crypto';
import { startTestGateway, clientIdIn, type TestGateway } from '../helpers/gateway.js';
import { counter } from '../helpers/metrics.js';
import {
  Inbox,
  RawSocket,
  connackCode,
  connackReturnCode,
  connectClient,
  connectPacket,
  endAllClients,
  publish,
  remainingLength,
  subscribe,
} from '../helpers/mqtt.js';

interface ConnectFields {
  protocolName?: string;
  level?: number;
  flags: number;
  clientId?: string;
  willTopic?: string;
  willPayload?: string;
  username?: string;
  password?: string;
  /** Bytes after the last field, inside the remaining length. */
  trailing?: number;
}

/** A CONNECT built field by field, whatever the flags say (mqtt-packet would not encode these). */
function rawConnect(f: ConnectFields): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s) >> 8, Buffer.byteLength(s) & 0xff]), Buffer.from(s)]);
  const parts = [str(f.protocolName ?? 'MQTT'), Buffer.from([f.level ?? 4, f.flags, 0, 30]), str(f.clientId ?? `mal-${randomBytes(3).toString('hex')}`)];
  if (f.willTopic !== undefined) parts.push(str(f.willTopic), str(f.willPayload ?? 'bye'));
  if (f.username !== undefined) parts.push(str(f.username));
  if (f.password !== undefined) parts.push(str(f.password));
  if (f.trailing !== undefined) parts.push(Buffer.alloc(f.trailing));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

const violations = (reason: string) => counter('fleetmq_gateway_protocol_violations_total', { reason });

describe('malformed packets: closed, never a crash (issue 9 item 1)', () => {
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
    gw = await startTestGateway({ config: { allowAnonymous: true } });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  // Flags: 0x02 clean session, 0x04 will, 0x18 will QoS, 0x20 will retain, 0x40 password, 0x80 user name.
  it.each<[string, ConnectFields, string]>([
    ['will QoS 3 (flags 0x1E) [MQTT-3.1.2-14]', { flags: 0x1e, willTopic: 'w/t' }, 'will-qos'],
    ['will QoS 1 without the will flag [MQTT-3.1.2-13]', { flags: 0x0a }, 'malformed'],
    ['will retain without the will flag [MQTT-3.1.2-15]', { flags: 0x22 }, 'malformed'],
    ['a password without a user name [MQTT-3.1.2-22]', { flags: 0x42, password: 'secret' }, 'password-without-username'],
    ['the reserved flag set [MQTT-3.1.2-3]', { flags: 0x03 }, 'malformed'],
    ['protocol name MQIsdp with level 4 [MQTT-3.1.2-1]', { protocolName: 'MQIsdp', flags: 0x02 }, 'protocol-name-mismatch'],
    ['protocol name MQTT with level 3 [MQTT-3.1.2-1]', { level: 3, flags: 0x02 }, 'protocol-name-mismatch'],
    ['bytes left over after the last field', { flags: 0x02, trailing: 3 }, 'length-mismatch'],
  ])('closes a CONNECT with %s, without CONNACK', async (_name, fields, reason) => {
    const before = await violations(reason);
    const raw = await RawSocket.open(gw.port);
    raw.write(rawConnect(fields));
    expect(await raw.closedWithin(2000)).toBe(true);
    expect(Buffer.concat(raw.received).length).toBe(0);
    expect(await violations(reason)).toBe(before + 1);
  });

  it('survives the will QoS 3 CONNECT followed by an abrupt close, and keeps serving other clients', async () => {
    const healthy = await connectClient(gw.mqttUrl, { clientId: 'healthy-will3' });
    const inbox = new Inbox(healthy);
    await subscribe(healthy, '#');
    for (let i = 0; i < 3; i++) {
      const raw = await RawSocket.open(gw.port);
      raw.write(rawConnect({ flags: 0x1e, willTopic: 'w/t' }));
      raw.destroy();
      const again = await RawSocket.open(gw.port);
      again.write(rawConnect({ flags: 0x1e, willTopic: 'w/t' }));
      await again.closedWithin(2000);
    }
    await publish(healthy, 'alive/will3', 'still here', { qos: 1 });
    expect((await inbox.next((m) => m.topic === 'alive/will3')).payload.toString()).toBe('still here');
    await inbox.none((m) => m.topic === 'w/t', 200);
  });

  it.each<[string, number[], string]>([
    ['UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2]', [0xa2, 0x02, 0x00, 0x01], 'no-topic-filter'],
    ['SUBSCRIBE with no topic filter [MQTT-3.8.3-3]', [0x82, 0x02, 0x00, 0x01], 'no-topic-filter'],
    ['PUBLISH QoS 0 with DUP set [MQTT-3.3.1-2]', [0x38, 0x05, 0x00, 0x01, 0x74, 0x68, 0x69], 'dup-on-qos0'],
    ['PUBACK with a remaining length of 3', [0x40, 0x03, 0x00, 0x01, 0x00], 'length-mismatch'],
    ['PINGREQ with a remaining length of 1', [0xc0, 0x01, 0x00], 'length-mismatch'],
    // A 3-byte QoS 1 PUBLISH holds only its topic: mqtt-packet took the packet identifier from the next packet (a PUBACK)...
    ['PUBLISH whose packet identifier lies past its remaining length', [0x32, 0x03, 0x00, 0x01, 0x78, 0x40, 0x02, 0x00, 0x01], 'length-mismatch'],
    // ...or, with nothing after it, made it -1.
    ['PUBLISH QoS 1 without a packet identifier', [0x32, 0x03, 0x00, 0x01, 0x78], 'length-mismatch'],
    ['PUBLISH whose topic runs past its remaining length', [0x30, 0x03, 0x00, 0x02, 0x78, 0x40, 0x02, 0x00, 0x01], 'malformed'],
    ['SUBSCRIBE with QoS 3', [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03], 'malformed'],
    ['PUBLISH with QoS 3', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], 'malformed'],
  ])('closes the connection on %s', async (_name, bytes, reason) => {
    const before = await violations(reason);
    const raw = await connected();
    raw.write(Buffer.from(bytes));
    expect(await raw.closedWithin(2000)).toBe(true);
    expect(Buffer.concat(raw.received).length).toBe(0);
    expect(await violations(reason)).toBe(before + 1);
  });

  it('still accepts the well-formed neighbours of those packets', async () => {
    const raw = await connected();
    raw.write(Buffer.from([0xa2, 0x05, 0x00, 0x02, 0x00, 0x01, 0x61])); // UNSUBSCRIBE "a"
    expect([...(await raw.waitBytes(4))]).toEqual([0xb0, 0x02, 0x00, 0x02]); // UNSUBACK 2
    raw.write(Buffer.from([0xc0, 0x00])); // PINGREQ
    expect([...(await raw.waitBytes(6)).subarray(4)]).toEqual([0xd0, 0x00]); // PINGRESP
    expect(await raw.closedWithin(200)).toBe(false);
    raw.destroy();
  });
});

describe('a well-formed will the client may not publish follows FLEETMQ_DENY_ACTION', () => {
  let ignore: TestGateway;
  let disconnect: TestGateway;
  let instanceId: string;

  beforeAll(async () => {
    ignore = await startTestGateway({ config: { allowAnonymous: false, denyAction: 'ignore' } });
    disconnect = await startTestGateway({ config: { allowAnonymous: false, denyAction: 'disconnect' }, dataSource: ignore.dataSource });
    instanceId = (await ignore.seed.instance({ topics: ['telemetry'], groups: ['GID_dev'] })).id;
  });
  afterAll(async () => {
    await endAllClients();
    await disconnect?.close();
    await ignore?.close();
  });

  const willTo = (topic: string) => ({ will: { topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false } });

  it('ignore: accepts the connection, drops the will (counted), and an allowed will still goes out', async () => {
    const watcher = await connectClient(ignore.mqttUrl, await ignore.seed.signatureClient(instanceId, clientIdIn()));
    const inbox = new Inbox(watcher);
    await subscribe(watcher, 'telemetry/#');
    const before = await counter('fleetmq_gateway_refused_packets_total', { reason: 'will-denied', limit: 'unknown-parent-topic' });

    // 'elsewhere' is not a parent topic of the instance.
    const denied = await connectClient(ignore.mqttUrl, { ...(await ignore.seed.signatureClient(instanceId, clientIdIn())), ...willTo('elsewhere/will') });
    expect(await counter('fleetmq_gateway_refused_packets_total', { reason: 'will-denied', limit: 'unknown-parent-topic' })).toBe(before + 1);
    const allowed = await connectClient(ignore.mqttUrl, { ...(await ignore.seed.signatureClient(instanceId, clientIdIn())), ...willTo('telemetry/will') });
    denied.end(true); // abrupt: the will path runs
    allowed.end(true);
    expect((await inbox.next((m) => m.topic === 'telemetry/will')).payload.toString()).toBe('gone');
    await inbox.none((m) => m.topic !== 'telemetry/will', 300);
  });

  it('a device with valid credentials gets no CONNACK for a will QoS 3 either', async () => {
    const creds = await ignore.seed.signatureClient(instanceId, clientIdIn());
    const raw = await RawSocket.open(ignore.port);
    // 0xde: user name, password, will QoS 3, will, clean session.
    raw.write(rawConnect({ flags: 0xde, clientId: creds.clientId, willTopic: 'telemetry/will', username: creds.username, password: creds.password }));
    expect(await raw.closedWithin(2000)).toBe(true);
    expect(Buffer.concat(raw.received).length).toBe(0);
    expect(await connackCode(ignore.mqttUrl, creds)).toBe(0);
  });

  it('disconnect: refuses the CONNECT with CONNACK 5', async () => {
    const creds = await disconnect.seed.signatureClient(instanceId, clientIdIn());
    expect(await connackCode(disconnect.mqttUrl, { ...creds, ...willTo('elsewhere/will') })).toBe(5);
    expect(await connackCode(disconnect.mqttUrl, { ...creds, ...willTo('telemetry/will') })).toBe(0);
  });
});
