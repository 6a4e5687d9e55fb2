import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { DLQ_TOPIC, DOWNLINK_TOPIC, HEADERS, buildDownlinkRecord, type DownlinkInput } from '#messaging';
import { useKafkaGatewayFixture } from './kafka-gateway-fixture.js';
import { RecordCollector, createTenant, header, type TestNode } from './kafka-harness.js';
import { waitFor, quietWindow } from '../helpers/wait.js';
import { describeWithKafka } from '../helpers/kafka.js';

interface Received {
  topic: string;
  payload: string;
}

describeWithKafka('fleetmq.downlink -> devices (real Kafka, PostgreSQL, MQTT clients)', () => {
  const fixture = useKafkaGatewayFixture({ schemaPrefix: 'kdl', markerPrefix: 'd', producer: true });
  const { kafka, marker } = fixture;
  let ds: DataSource;
  let node: TestNode;
  let producer: Producer;
  beforeAll(() => {
    ({ ds, node, producer } = fixture);
  });

  async function device(clientId: string, subscribe: string[], extra: mqtt.IClientOptions = {}): Promise<{ client: mqtt.MqttClient; got: Received[] }> {
    const client = await fixture.connect(clientId, extra);
    const got: Received[] = [];
    client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    if (subscribe.length > 0) await client.subscribeAsync(subscribe, { qos: 1 });
    return { client, got };
  }

  const send = (msg: DownlinkInput) => producer.send({ topic: DOWNLINK_TOPIC, acks: -1, messages: [buildDownlinkRecord(msg)] });

  /**
   * The node's group starts at the latest offset when it joins; the first record of a test is
   * sent again until it arrives, so a record produced while offsets were being resolved does not flake.
   */
  async function sendUntil(msg: DownlinkInput, arrived: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!arrived()) {
      if (Date.now() > deadline) throw new Error('downlink record never arrived');
      await send(msg);
      await waitFor(() => arrived() || undefined, { timeoutMs: 1_000 }).catch(() => undefined);
    }
  }

  it('broadcasts a record to the subscribed devices of its instance on this node', async () => {
    const a = await device(`a-${marker}`, ['cmd/all']);
    const b = await device(`b-${marker}`, ['cmd/#']);
    const other = await device(`o-${marker}`, ['other/#']);
    await sendUntil({ instanceId: 'default', topic: 'cmd/all', qos: 1, retain: false, payload: Buffer.from('warm') }, () => a.got.length > 0 && b.got.length > 0);
    await send({ instanceId: 'default', topic: 'cmd/all', qos: 1, retain: false, payload: Buffer.from('to all') });
    await waitFor(() => a.got.some((m) => m.payload === 'to all') && b.got.some((m) => m.payload === 'to all'), { timeoutMs: 10_000, what: 'broadcast' });
    expect(a.got.at(-1)).toEqual({ topic: 'cmd/all', payload: 'to all' });
    expect(other.got).toHaveLength(0);
  });

  it('delivers a P2P record only to its target, which need not subscribe', async () => {
    const target = await device(`t-${marker}`, []);
    const bystander = await device(`y-${marker}`, ['#']);
    const p2p = (payload: string): DownlinkInput => ({
      instanceId: 'default',
      topic: `cmd/p2p/t-${marker}`,
      qos: 1,
      retain: false,
      payload: Buffer.from(payload),
      targetClientId: `t-${marker}`,
    });
    await sendUntil(p2p('p2p-1'), () => target.got.length > 0);
    await send(p2p('p2p-2'));
    await waitFor(() => target.got.some((m) => m.payload === 'p2p-2'), { timeoutMs: 10_000, what: 'p2p' });
    expect(target.got.at(-1)).toEqual({ topic: `cmd/p2p/t-${marker}`, payload: 'p2p-2' });
    // A '#' subscriber of the same instance never sees somebody else's P2P message.
    await quietWindow(200, 'a P2P message leaking to a bystander');
    expect(bystander.got.filter((m) => m.topic.includes('/p2p/'))).toHaveLength(0);
  });

  it('keeps instances apart: a record of another instance does not reach the default one', async () => {
    const tenant = await createTenant(ds, 'cmd');
    const clientId = `${tenant.groupId}@@@x${marker}`;
    const own = await device(clientId, ['cmd/all'], tenant.credentials(clientId));
    const anon = await device(`n-${marker}`, ['cmd/all']);
    await sendUntil({ instanceId: tenant.instanceId, topic: 'cmd/all', qos: 0, retain: false, payload: Buffer.from('tenant only') }, () => own.got.length > 0);
    await quietWindow(200, 'the tenant record reaching the default instance');
    expect(own.got[0]).toEqual({ topic: 'cmd/all', payload: 'tenant only' });
    expect(anon.got.filter((m) => m.payload === 'tenant only')).toHaveLength(0);
  });

  it('reaches a mosquitto_sub subscriber', async () => {
    const clientId = `ms-${marker}`;
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(node.port), '-i', clientId, '-t', 'cmd/mosq', '-q', '1', '-C', '1', '-V', 'mqttv311']);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => node.gateway.registry.get('default', clientId) !== undefined || undefined, { timeoutMs: 10_000, what: 'mosquitto_sub connected' });
      await waitFor(() => node.gateway.registry.subscriptions('default', clientId)?.length, { what: 'the mosquitto_sub subscription' });
      await sendUntil({ instanceId: 'default', topic: 'cmd/mosq', qos: 1, retain: false, payload: Buffer.from('hi mosquitto') }, () => out.includes('hi mosquitto'));
      expect(out.trim()).toBe('hi mosquitto');
    } finally {
      sub.kill();
    }
  });

  it('sends a malformed record to fleetmq.dlq with the reason, and keeps consuming', async () => {
    const dlq = new RecordCollector(kafka, DLQ_TOPIC, (m) => m.key?.toString() === `bad-${marker}`);
    await dlq.start();
    try {
      const d = await device(`after-${marker}`, ['cmd/after']);
      // No fleetmq-instance header: cannot be routed.
      await producer.send({ topic: DOWNLINK_TOPIC, messages: [{ key: `bad-${marker}`, value: Buffer.from('junk'), headers: { [HEADERS.topic]: 'cmd/x' } }] });
      const [rec] = await dlq.waitFor(1, 20_000);
      expect(rec!.message.value?.toString()).toBe('junk');
      expect(header(rec!.message, HEADERS.dlqReason)).toMatch(/fleetmq-instance/);
      expect(header(rec!.message, HEADERS.dlqSource)).toMatch(/^fleetmq\.downlink:\d+:\d+$/);
      // The partition goes on: a good record behind it is delivered.
      await sendUntil({ instanceId: 'default', topic: 'cmd/after', qos: 0, retain: false, payload: Buffer.from('still here') }, () => d.got.length > 0);
      expect(d.got[0]!.payload).toBe('still here');
    } finally {
      await dlq.stop();
    }
  });
});
