import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { register } from 'prom-client';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { HEADERS, UPLINK_TOPIC } from '#messaging';
import { useKafkaGatewayFixture } from './kafka-gateway-fixture.js';
import { RecordCollector, createTenant, header, type TestNode } from './kafka-harness.js';
import { describeWithKafka } from '../helpers/kafka.js';

const run = promisify(execFile);

describeWithKafka('gateway -> fleetmq.uplink (real Kafka, PostgreSQL, MQTT clients)', () => {
  const fixture = useKafkaGatewayFixture({
    schemaPrefix: 'kup',
    markerPrefix: 'u',
    // Only this file's clients: every client ID here contains the run marker.
    collect: { topic: UPLINK_TOPIC, select: (m, marker) => (header(m, HEADERS.client) ?? '').includes(marker) },
  });
  const { marker: run_ } = fixture;
  let ds: DataSource;
  let node: TestNode;
  let collector: RecordCollector;
  beforeAll(() => {
    ({ ds, node, collector } = fixture);
  });

  const connect = (clientId: string, extra: mqtt.IClientOptions = {}) => fixture.connect(clientId, { protocolVersion: 4, ...extra });

  const recordsOf = (key: string) => collector.records.filter((r) => r.message.key?.toString() === key);
  const keyIs = (key: string) => (m: KafkaMessage) => m.key?.toString() === key;

  it('turns an anonymous PUBLISH into a record with the documented key, headers and unchanged payload', async () => {
    const clientId = `anon-${run_}`;
    const c = await connect(clientId);
    const payload = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x7b]);
    const before = Date.now();
    await c.publishAsync('sensors/t1', payload, { qos: 1 });
    const [rec] = await collector.waitForMatching(keyIs(`default/${clientId}`), 1);
    expect(rec).toBeDefined();
    const m = rec!.message;
    expect(m.value).toEqual(payload);
    expect(header(m, HEADERS.instance)).toBe('default');
    expect(header(m, HEADERS.client)).toBe(clientId);
    expect(header(m, HEADERS.topic)).toBe('sensors/t1');
    expect(header(m, HEADERS.qos)).toBe('1');
    expect(header(m, HEADERS.retain)).toBe('false');
    expect(header(m, HEADERS.node)).toBe(node.nodeId);
    expect(header(m, HEADERS.msgId)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const ts = Number(header(m, HEADERS.ts));
    expect(ts).toBeGreaterThanOrEqual(before - 5);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it('keeps the topic as the authenticated client sent it (not the internal namespaced one)', async () => {
    const tenant = await createTenant(ds);
    const clientId = `${tenant.groupId}@@@d${run_}`;
    const c = await connect(clientId, tenant.credentials(clientId));
    await c.publishAsync('telemetry/room1', 'hello', { qos: 1, retain: true });
    const key = `${tenant.instanceId}/${clientId}`;
    const [rec] = await collector.waitForMatching(keyIs(key), 1);
    expect(rec).toBeDefined();
    expect(rec!.message.value?.toString()).toBe('hello');
    expect(header(rec!.message, HEADERS.instance)).toBe(tenant.instanceId);
    expect(header(rec!.message, HEADERS.topic)).toBe('telemetry/room1');
    expect(header(rec!.message, HEADERS.retain)).toBe('true');
    // Two records of the same client, one per message id.
    await c.publishAsync('telemetry/room1', 'again', { qos: 0 });
    const both = await collector.waitForMatching(keyIs(key), 2);
    expect(both).toHaveLength(2);
    expect(header(both[1]!.message, HEADERS.qos)).toBe('0');
    expect(header(both[0]!.message, HEADERS.msgId)).not.toBe(header(both[1]!.message, HEADERS.msgId));
  });

  it('forwards what mosquitto_pub sends (QoS 0 and 1)', async () => {
    const clientId = `mosq-${run_}`;
    for (const qos of ['0', '1']) {
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(node.port), '-i', clientId, '-t', `mosq/q${qos}`, '-m', `from mosquitto ${qos}`, '-q', qos, '-V', 'mqttv311']);
    }
    const recs = await collector.waitForMatching(keyIs(`default/${clientId}`), 2);
    expect(recs.map((r) => header(r.message, HEADERS.topic))).toEqual(['mosq/q0', 'mosq/q1']);
    expect(recs[1]!.message.value?.toString()).toBe('from mosquitto 1');
  });

  it('keeps the publish order of 1,000 QoS 1 messages of one client', async () => {
    const clientId = `order-${run_}`;
    const c = await connect(clientId);
    const key = `default/${clientId}`;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => c.publishAsync('order/seq', String(i), { qos: 1 })));
    await collector.waitForMatching(keyIs(key), 1000, 30_000);
    const seqs = recordsOf(key).map((r) => Number(r.message.value!.toString()));
    expect(seqs).toHaveLength(1000);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // One key, one partition.
    expect(new Set(recordsOf(key).map((r) => r.partition)).size).toBe(1);
  }, 60_000);

  it('counts produced and acknowledged records and reports Kafka up in the default registry', async () => {
    const value = async (name: string) => (await register.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);
    const ackedBefore = await value('fleetmq_uplink_acked_total');
    const c = await connect(`metrics-${run_}`);
    for (let i = 0; i < 3; i++) await c.publishAsync('m/x', 'x', { qos: 1 });
    expect((await value('fleetmq_uplink_acked_total')) - ackedBefore).toBeGreaterThanOrEqual(3);
    expect(await value('fleetmq_uplink_produced_total')).toBeGreaterThanOrEqual(3);
    expect(await value('fleetmq_kafka_up')).toBe(1);
    expect(await value('fleetmq_uplink_dropped_total')).toBe(0);
  });
});
