// End to end with real devices: MQTT.js -> gateway -> fleetmq.uplink -> rule router -> backend
// topic -> backend consumer group, and backend -> inflow topic -> router -> fleetmq.downlink ->
// gateway -> the one device (P2P) or every subscriber (broadcast); presence -> status rule.
import mqtt from 'mqtt';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { ParentTopicEntity, RuleEntity, TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository } from '#domain/persistence';
import { ensureTopics, HEADERS, PRESENCE_TOPIC, UPLINK_TOPIC } from '#messaging';
import { RuleRouter } from '../../apps/rule-router/src/index.js';
import { createTenant, openTestDataSource, startNode, testKafka, type TestNode } from '../gateway/kafka-harness.js';
import { dropSchema, uniqueSchema } from '../helpers/database.js';
import { Collector, header, startGroupAtEnd, unique } from './kafka-kit.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

describeWithKafka('rule router with real devices through the gateway', () => {
  const schema = uniqueSchema('rrdev');
  const tag = unique('rrd');
  const telemetry = `${tag}.telemetry`;
  const commands = `${tag}.commands`;
  const broadcast = `${tag}.broadcast`;
  const presence = `${tag}.presence`;
  let ds: DataSource;
  let kafka: Kafka;
  let node: TestNode;
  let router: RuleRouter;
  let producer: Producer;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  const devices: mqtt.MqttClient[] = [];
  const collectors: Collector[] = [];

  const device = async (name: string, subscribe: string[] = []) => {
    const clientId = `GID_fleet@@@${name}`;
    const client = await mqtt.connectAsync(node.url, { clientId, reconnectPeriod: 0, protocolVersion: 4, ...tenant.credentials(clientId) });
    devices.push(client);
    const got: Array<{ topic: string; payload: string; at: number }> = [];
    client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString(), at: Date.now() }));
    if (subscribe.length > 0) await client.subscribeAsync(subscribe, { qos: 1 });
    return { clientId, client, got };
  };

  beforeAll(async () => {
    const brokers = testKafkaBrokers();
    ds = await openTestDataSource(schema);
    kafka = testKafka(brokers);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [telemetry, commands, broadcast, presence], 3, 1);
    await admin.disconnect();
    node = await startNode({ brokers, dataSource: ds });
    tenant = await createTenant(ds, 'telemetry', 'GID_fleet');
    await ds.getRepository(ParentTopicEntity).insert({ instanceId: tenant.instanceId, name: 'cmd' });
    const rules = ds.getRepository(RuleEntity);
    const add = (name: string, kind: 'outflow' | 'inflow' | 'status', source: object, target: object) =>
      rules.save(rules.create({ instanceId: tenant.instanceId, name, kind, source: { ...source }, target: { ...target }, enabled: true }));
    await add('out', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: telemetry, format: 'json', payloadEncoding: 'utf8' });
    await add('p2p', 'inflow', { kafkaTopic: commands }, { topicTemplate: 'cmd/p2p/${key}', qos: 1 });
    await add('bcast', 'inflow', { kafkaTopic: broadcast }, { topicTemplate: 'cmd/broadcast', qos: 1 });
    await add('presence', 'status', { groupId: 'GID_fleet' }, { kafkaTopic: presence });
    const groups = { out: `${tag}-out`, status: `${tag}-status` };
    await startGroupAtEnd(kafka, groups.out, UPLINK_TOPIC);
    await startGroupAtEnd(kafka, groups.status, PRESENCE_TOPIC);
    const logger = createLogger('silent');
    router = new RuleRouter({
      kafka,
      ruleSource: new TypeOrmRuleSourceRepository(ds),
      ruleCounters: new TypeOrmRuleCounterRepository(ds),
      logger,
      metricsRegistry: new Registry(),
      options: {
        routerId: `${tag}-router`,
        outflowGroupId: groups.out,
        statusGroupId: groups.status,
        inflowGroupPrefix: `${tag}-in-`,
        tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 6 },
      },
    });
    await router.start();
    await waitFor(() => router.outflowConsumer.joins > 0 && router.statusConsumer.joins > 0, { timeoutMs: 20_000, what: 'router joined' });
    const inflowIds = router.rules.current().inflowRules().map((r) => r.id);
    await waitFor(() => inflowIds.every((id) => (router.inflowConsumer(id)?.joins ?? 0) > 0), { timeoutMs: 20_000, what: 'inflow consumers joined' });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, 90_000);

  afterAll(async () => {
    for (const d of devices) await d.endAsync(true).catch(() => undefined);
    await Promise.all(collectors.map((c) => c.stop().catch(() => undefined)));
    await producer?.disconnect();
    await router?.stop();
    await node?.stop();
    await ds?.destroy();
    await dropSchema(schema);
  }, 30_000);

  it('device telemetry reaches the backend group; the backend answers that device alone and broadcasts to all', async () => {
    const backend = await new Collector(kafka, telemetry).start(false);
    collectors.push(backend);
    const status = await new Collector(kafka, presence).start(false);
    collectors.push(status);
    const d1 = await device('d1', ['cmd/broadcast']);
    const d2 = await device('d2', ['cmd/broadcast']);
    await d1.client.publishAsync('telemetry/d1', '{"t":21.5}', { qos: 1 });

    const [record] = await backend.waitForCount(1);
    expect(record!.key?.toString()).toBe(d1.clientId);
    expect(JSON.parse(record!.value!.toString())).toMatchObject({ instanceId: tenant.instanceId, clientId: d1.clientId, topic: 'telemetry/d1', qos: 1, payload: '{"t":21.5}', encoding: 'utf8' });

    // The backend answers the device named by the key, as examples/backend-consumer.mjs does.
    await producer.send({ topic: commands, messages: [{ key: record!.key, value: 'set-interval 30' }] });
    await waitFor(() => d1.got.find((m) => m.topic === `cmd/p2p/${d1.clientId}`), { timeoutMs: 15_000, what: 'P2P command at d1' });
    expect(d1.got.find((m) => m.topic.startsWith('cmd/p2p/'))?.payload).toBe('set-interval 30');

    await producer.send({ topic: broadcast, messages: [{ value: 'firmware 2.1' }] });
    await waitFor(() => d2.got.some((m) => m.topic === 'cmd/broadcast') && d1.got.some((m) => m.topic === 'cmd/broadcast'), { timeoutMs: 15_000, what: 'broadcast at both' });
    // d2 never saw d1's P2P command.
    expect(d2.got.map((m) => m.topic)).toEqual(['cmd/broadcast']);

    const events = await status.waitForCount(2);
    expect(events.map((m) => JSON.parse(m.value!.toString()).event)).toEqual(['connect', 'connect']);
    expect(events.map((m) => m.key?.toString()).sort()).toEqual([d1.clientId, d2.clientId].sort());
    expect(header(events[0]!, HEADERS.instance)).toBe(tenant.instanceId);
  }, 60_000);

  // Defaults keep the suite short; FLEETMQ_DEVICE_RATE / FLEETMQ_DEVICE_SECONDS measure a longer run.
  const rate = Number(process.env.FLEETMQ_DEVICE_RATE ?? 200);
  const seconds = Number(process.env.FLEETMQ_DEVICE_SECONDS ?? 5);
  it(`device -> backend consumer latency (${rate} msg/s from 20 devices for ${seconds} s)`, async () => {
    const backend = await new Collector(kafka, telemetry).start(true);
    collectors.push(backend);
    const fleet = await Promise.all(Array.from({ length: 20 }, (_, i) => device(`lat${i}`)));
    const total = rate * seconds;
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      const d = fleet[i % fleet.length]!;
      void d.client.publishAsync(`telemetry/${d.clientId.split('@@@')[1]}`, JSON.stringify({ sent: Date.now(), i }), { qos: 1 });
      const due = t0 + ((i + 1) / rate) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const got = await backend.waitForCount(total, 30_000 + seconds * 1000);
    const latencies = got.map((m, i) => {
      const envelope = JSON.parse(m.value!.toString()) as { payload: string };
      return backend.receivedAt[i]! - (JSON.parse(envelope.payload) as { sent: number }).sent;
    });
    const distinct = new Set(got.map((m) => (JSON.parse(JSON.parse(m.value!.toString()).payload) as { i: number }).i));
    expect(distinct.size).toBe(total);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    process.stdout.write(`device -> backend consumer via gateway + rule router, ${rate} msg/s for ${seconds} s, 20 devices: median ${pct(50)} ms, p99 ${pct(99)} ms, max ${sorted.at(-1)} ms\n`);
  }, 120_000);
});
