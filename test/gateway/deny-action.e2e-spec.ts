// Issue 9 item 4: a denied PUBLISH follows FLEETMQ_DENY_ACTION. `ignore` (default) acknowledges
// per QoS and drops it: nothing reaches Kafka, subscribers or the retained store, the connection
// stays up. `disconnect` closes. Either way: counted by reason and limit, and logged naming the
// client, rate-limited. Real MQTT clients; the first part over real Kafka.
import type { MqttClient } from 'mqtt';
import { register } from 'prom-client';
import { HEADERS, UPLINK_TOPIC } from '#messaging';
import type { PublishForwarder, UplinkPublish } from '../../apps/gateway/src/index.js';
import { clientIdIn, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/logs.js';
import { counter } from '../helpers/metrics.js';
import { Inbox, connectClient, endAllClients, publish, subscribe, waitForClose } from '../helpers/mqtt.js';
import { useKafkaGatewayFixture } from './kafka-gateway-fixture.js';
import { header } from './kafka-harness.js';
import { describeWithKafka } from '../helpers/kafka.js';

const refused = (limit: string) => counter('fleetmq_gateway_refused_packets_total', { reason: 'publish-denied', limit });

describeWithKafka('denied PUBLISH with the default deny action (ignore), over real Kafka', () => {
  const fixture = useKafkaGatewayFixture({
    schemaPrefix: 'deny',
    markerPrefix: 'dn',
    collect: { topic: UPLINK_TOPIC, select: (m, marker) => (header(m, HEADERS.client) ?? '').includes(marker) },
  });

  it('acknowledges QoS 0, 1 and 2 and keeps nothing: no record, no delivery, no retained copy', async () => {
    const clientId = `denied-${fixture.marker}`;
    const watcher = await fixture.connect(`watch-${fixture.marker}`, { protocolVersion: 4 });
    const inbox = new Inbox(watcher);
    // Anonymous clients may subscribe to '$' filters but never publish there [MQTT-4.7.2-1].
    await watcher.subscribeAsync(['$SYS/#', 'ok/#'], { qos: 1 });
    const before = await refused('reserved-topic');

    const c = await fixture.connect(clientId, { protocolVersion: 4 });
    let closes = 0;
    c.on('close', () => closes++);
    await c.publishAsync('$SYS/denied', 'q0', { qos: 0, retain: true });
    await c.publishAsync('$SYS/denied', 'q1', { qos: 1, retain: true }); // resolves on PUBACK
    await c.publishAsync('$SYS/denied', 'q2', { qos: 2, retain: true }); // resolves on PUBCOMP
    await c.publishAsync('ok/marker', 'after', { qos: 1 });

    // Records of one client keep their order: once the marker is there, nothing denied can follow.
    const key = `default/${clientId}`;
    await fixture.collector.waitForMatching((m) => m.key?.toString() === key, 1);
    const topics = fixture.collector.records.filter((r) => r.message.key?.toString() === key).map((r) => header(r.message, HEADERS.topic));
    expect(topics).toEqual(['ok/marker']);
    await inbox.next((m) => m.topic === 'ok/marker');
    await inbox.none((m) => m.topic.startsWith('$'), 200);
    expect(await refused('reserved-topic')).toBe(before + 3);
    expect(closes).toBe(0);
    expect(c.connected).toBe(true);

    const late = await fixture.connect(`late-${fixture.marker}`, { protocolVersion: 4 });
    const lateInbox = new Inbox(late);
    await late.subscribeAsync('$SYS/#', { qos: 1 });
    await lateInbox.none(() => true, 300); // no retained copy
  });
});

describe('denied PUBLISH in an authenticated instance: ignore vs disconnect, metrics and log', () => {
  const uplinks: Array<{ clientId: string; packet: UplinkPublish }> = [];
  const recording: PublishForwarder = {
    forward(ctx, packet, done) {
      uplinks.push({ clientId: ctx.clientId, packet });
      done();
    },
  };
  const logs = captureLogs('warn');
  let ignore: TestGateway;
  let disconnect: TestGateway;
  let instanceId: string;

  beforeAll(async () => {
    ignore = await startTestGateway({ config: { allowAnonymous: false }, forwarder: recording, logger: logs.logger });
    disconnect = await startTestGateway({ config: { allowAnonymous: false, denyAction: 'disconnect' }, forwarder: recording, dataSource: ignore.dataSource });
    instanceId = (await ignore.seed.instance({ topics: ['telemetry'], groups: ['GID_dev'] })).id;
  });
  afterAll(async () => {
    await endAllClients();
    await disconnect?.close();
    await ignore?.close();
  });

  it('ignore: 20 denied PUBLISHes are acknowledged, counted 20 times, logged once naming client, reason and limit', async () => {
    const watcher = await connectClient(ignore.mqttUrl, await ignore.seed.signatureClient(instanceId, clientIdIn(), 'ALL'));
    const inbox = new Inbox(watcher);
    await subscribe(watcher, 'telemetry/#');
    const subOnly = await ignore.seed.signatureClient(instanceId, clientIdIn(), 'SUB');
    const publisher: MqttClient = await connectClient(ignore.mqttUrl, subOnly);
    const before = await refused('no-publish-permission');
    const logged = logs.withMessage('packet refused').length;

    for (let i = 0; i < 20; i++) await publish(publisher, 'telemetry/x', `denied-${i}`, { qos: 1, retain: true });
    await publish(watcher, 'telemetry/marker', 'from the watcher', { qos: 1 });
    await inbox.next((m) => m.topic === 'telemetry/marker');
    await inbox.none((m) => m.topic !== 'telemetry/marker', 200);

    expect(publisher.connected).toBe(true);
    expect(uplinks.filter((u) => u.clientId === subOnly.clientId)).toEqual([]);
    expect(await refused('no-publish-permission')).toBe(before + 20);
    const lines = logs.withMessage('packet refused').slice(logged);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reason: 'publish-denied',
      limit: 'no-publish-permission',
      clientId: subOnly.clientId,
      instanceId,
      address: '127.0.0.1',
      topic: 'telemetry/x',
      action: 'ignore',
    });
    // The metric has no client label (millions of devices).
    const metric = register.getSingleMetric('fleetmq_gateway_refused_packets_total');
    expect(Object.keys((await metric!.get()).values[0]!.labels).sort()).toEqual(['limit', 'reason']);
  });

  it('disconnect: a denied PUBLISH closes the connection and is still counted', async () => {
    const subOnly = await disconnect.seed.signatureClient(instanceId, clientIdIn(), 'SUB');
    const publisher = await connectClient(disconnect.mqttUrl, subOnly);
    const before = await refused('no-publish-permission');
    const closed = waitForClose(publisher, 5000);
    publisher.publish('telemetry/x', 'denied', { qos: 1 });
    await closed;
    expect(await refused('no-publish-permission')).toBe(before + 1);
    expect(uplinks.filter((u) => u.clientId === subOnly.clientId)).toEqual([]);
  });

  it('an oversize PUBLISH is counted by limit and logged naming the client and the limit', async () => {
    const creds = await ignore.seed.signatureClient(instanceId, clientIdIn(), 'ALL');
    const big = await connectClient(ignore.mqttUrl, creds);
    const limit = ignore.config.limits.maxPayloadBytes;
    const before = await counter('fleetmq_gateway_refused_packets_total', { reason: 'oversize', limit: 'FLEETMQ_MAX_PAYLOAD_BYTES' });
    const closed = waitForClose(big, 5000);
    big.publish('telemetry/big', Buffer.alloc(limit + 1), { qos: 1 });
    await closed;
    expect(await counter('fleetmq_gateway_refused_packets_total', { reason: 'oversize', limit: 'FLEETMQ_MAX_PAYLOAD_BYTES' })).toBe(before + 1);
    const line = logs.withMessage('packet refused').find((l) => l.reason === 'oversize');
    expect(line).toMatchObject({ limit: 'FLEETMQ_MAX_PAYLOAD_BYTES', limitValue: limit, clientId: creds.clientId, instanceId, address: '127.0.0.1' });
  });

  it('a refused SUBSCRIBE filter and a malformed packet are logged naming the client too', async () => {
    const creds = await ignore.seed.signatureClient(instanceId, clientIdIn(), 'ALL');
    const c = await connectClient(ignore.mqttUrl, creds);
    const before = await counter('fleetmq_gateway_refused_packets_total', { reason: 'subscribe-denied', limit: 'unknown-parent-topic' });
    expect(await subscribe(c, ['elsewhere/#', 'telemetry/#'])).toEqual([128, 1]);
    expect(await counter('fleetmq_gateway_refused_packets_total', { reason: 'subscribe-denied', limit: 'unknown-parent-topic' })).toBe(before + 1);
    expect(logs.withMessage('packet refused').find((l) => l.reason === 'subscribe-denied')).toMatchObject({ clientId: creds.clientId, limit: 'unknown-parent-topic', filter: 'elsewhere/#' });
    const closed = waitForClose(c, 5000);
    (c.stream as unknown as { write(b: Buffer): void }).write(Buffer.from([0xa2, 0x02, 0x00, 0x07])); // UNSUBSCRIBE without a filter
    await closed;
    expect(logs.withMessage('connection closed: protocol violation').find((l) => l.clientId === creds.clientId)).toMatchObject({ kind: 'no-topic-filter', instanceId, address: '127.0.0.1' });
  });

  it('ignore: denied PUBLISHes still pass the per-connection rate limit', async () => {
    const RATE = 10;
    const limited = await startTestGateway({ config: { allowAnonymous: false, limits: { publishRatePerConnection: RATE } }, forwarder: recording, dataSource: ignore.dataSource });
    try {
      const publisher = await connectClient(limited.mqttUrl, await limited.seed.signatureClient(instanceId, clientIdIn(), 'SUB'));
      const started = Date.now();
      await Promise.all(Array.from({ length: 3 * RATE }, (_, i) => publish(publisher, 'telemetry/x', String(i), { qos: 1 })));
      // A full bucket (RATE) at once, the other 2 x RATE at RATE per second; unlimited, ~50 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_600);
      expect(publisher.connected).toBe(true);
    } finally {
      await endAllClients();
      await limited.close();
    }
  });
});
