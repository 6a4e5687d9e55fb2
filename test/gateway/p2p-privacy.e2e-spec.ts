// P2P is a property of the topic (docs/DESIGN.md, P2P): `<parent>/p2p/<clientId>` reaches that
// client alone, whichever way it enters -- device PUBLISH, console send, console batch, a
// downlink record without a target header, an inflow template -- in a tenant instance and in
// the anonymous default instance. Real gateway, console, rule router, Kafka, PostgreSQL, MQTT.js.
import { spawn } from 'node:child_process';
import type { NestExpressApplication } from '@nestjs/platform-express';
import mqtt from 'mqtt';
import type { Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createLogger, loadConfig } from '#config';
import { RuleEntity, TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository } from '#domain/persistence';
import { createMessaging, DOWNLINK_TOPIC, ensureTopics, HEADERS, type Messaging } from '#messaging';
import { createConsoleApp } from '../../apps/console/src/create-console-app.js';
import { startConsoleMessaging } from '../../apps/console/src/messaging/console-messaging.js';
import { RuleRouter } from '../../apps/rule-router/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { createTenant, MASTER_KEY, openTestDataSource, rawProducer, startNode, testKafka, uniqueId, type TestNode } from './kafka-harness.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'p2p-privacy-admin-token-0123456789';
const bearer = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface Device {
  client: mqtt.MqttClient;
  got: Array<{ topic: string; payload: string; retain: boolean }>;
}

describeWithKafka('P2P reaches its target alone, whichever way it enters (gateway, console, router, Kafka)', () => {
  const schema = uniqueSchema('p2ppriv');
  const brokers = testKafkaBrokers();
  const kafka = testKafka(brokers);
  const marker = uniqueId('p');
  const backendTopic = (name: string): string => `${marker}.${name}`;
  const logger = createLogger('silent');
  let ds: DataSource;
  let node: TestNode;
  let producer: Producer;
  let consoleMessaging: Messaging;
  let app: NestExpressApplication;
  let router: RuleRouter;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  const clients: mqtt.MqttClient[] = [];

  const device = async (clientId: string, subscribe: string[], options: mqtt.IClientOptions = {}): Promise<Device> => {
    const client = await mqtt.connectAsync(node.url, { clientId, reconnectPeriod: 0, protocolVersion: 4, ...options });
    clients.push(client);
    const got: Device['got'] = [];
    client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
    if (subscribe.length > 0) await client.subscribeAsync(subscribe, { qos: 1 });
    return { client, got };
  };
  const api = () => request(app.getHttpServer());
  const payloads = (d: Device): string[] => d.got.map((m) => m.payload);

  beforeAll(async () => {
    ds = await openTestDataSource(schema);
    node = await startNode({ brokers, dataSource: ds });
    producer = await rawProducer(kafka);
    const config = loadConfig('console', {
      DATABASE_URL: testDatabaseUrl(),
      FLEETMQ_ADMIN_TOKEN: ADMIN_TOKEN,
      FLEETMQ_MASTER_KEY: MASTER_KEY,
      KAFKA_BROKERS: brokers.join(','),
      FLEETMQ_NODE_ID: `${marker}-console`,
      LOG_LEVEL: 'silent',
    });
    consoleMessaging = createMessaging(config, logger);
    await consoleMessaging.start();
    app = await createConsoleApp({ config, dataSource: ds, messaging: await startConsoleMessaging(consoleMessaging), logger });
    tenant = await createTenant(ds, 'cmd', 'GID_fleet');

    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [backendTopic('tenant-cmd'), backendTopic('anon-cmd')], 3, 1);
    await admin.disconnect();
    const rules = ds.getRepository(RuleEntity);
    const inflow = (instanceId: string, name: string, kafkaTopic: string, topicTemplate: string) =>
      rules.save(rules.create({ instanceId, name, kind: 'inflow', source: { kafkaTopic }, target: { topicTemplate, qos: 1, retain: false }, enabled: true }));
    await inflow(tenant.instanceId, 'tenant-p2p', backendTopic('tenant-cmd'), 'cmd/p2p/${key}');
    await inflow('default', `${marker}-anon-p2p`, backendTopic('anon-cmd'), 'demo/p2p/${key}');
    router = new RuleRouter({
      kafka,
      ruleSource: new TypeOrmRuleSourceRepository(ds),
      ruleCounters: new TypeOrmRuleCounterRepository(ds),
      logger,
      metricsRegistry: new Registry(),
      options: {
        routerId: `${marker}-router`,
        inflowGroupPrefix: `${marker}-in-`,
        flows: { outflow: false, status: false, inflow: true },
        tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 3 },
      },
    });
    await router.start();
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await router?.stop();
    await app?.close();
    await consoleMessaging?.stop();
    await producer?.disconnect();
    await node?.stop();
    await ds?.destroy();
    await dropSchema(schema);
  }, 60_000);

  /** Broadcasts `topic` through the console until `spy` has it: the node's downlink group is then reading. */
  const warmUp = async (instanceId: string, topic: string, spy: Device): Promise<void> => {
    await waitFor(
      async () => {
        await api().post(`/api/v1/instances/${instanceId}/messages`).set(bearer).send({ topic, payload: 'warm-up', qos: 0 }).expect(202);
        return waitFor(() => spy.got.some((m) => m.payload === 'warm-up') || undefined, { timeoutMs: 1_000 }).catch(() => undefined);
      },
      { timeoutMs: 30_000, what: 'the node consuming fleetmq.downlink' },
    );
  };

  /** Sends one P2P message for `target` by every way in, as the instance `instanceId` allows. */
  const sendEveryWay = async (instanceId: string, topic: string, target: string, sender: mqtt.MqttClient, backend: string): Promise<string[]> => {
    const I = `/api/v1/instances/${instanceId}`;
    await sender.publishAsync(topic, `${marker}-device`, { qos: 1, retain: true });
    await api().post(`${I}/messages`).set(bearer).send({ topic, payload: `${marker}-console` }).expect(202);
    await api().post(`${I}/messages`).set(bearer).send({ topic, payload: `${marker}-console-clientId`, clientId: target }).expect(202);
    await api()
      .post(`${I}/messages/batch`)
      .set(bearer)
      .send({ messages: [{ topic, payload: `${marker}-batch-1` }, { topic, payload: `${marker}-batch-2` }] })
      .expect(202);
    // A backend's hand-made record: instance and topic, no fleetmq-target, and retain asked for.
    await producer.send({
      topic: DOWNLINK_TOPIC,
      acks: -1,
      messages: [{ key: null, value: `${marker}-record`, headers: { [HEADERS.instance]: instanceId, [HEADERS.topic]: topic, [HEADERS.qos]: '1', [HEADERS.retain]: 'true' } }],
    });
    await producer.send({ topic: backend, acks: -1, messages: [{ key: target, value: `${marker}-inflow` }] });
    return ['device', 'console', 'console-clientId', 'batch-1', 'batch-2', 'record', 'inflow'].map((way) => `${marker}-${way}`).sort();
  };

  /** After the target has everything, a retained broadcast marks the end for the spies (live and late). */
  const expectPrivate = async (instanceId: string, markerTopic: string, target: Device, spies: Device[], sent: string[], lateSpy: () => Promise<Device>): Promise<void> => {
    await waitFor(() => payloads(target).filter((p) => sent.includes(p)).length >= sent.length || undefined, { timeoutMs: 30_000, what: `the target receiving ${sent.join(', ')} (has ${payloads(target).join(', ')})` });
    await api().post(`/api/v1/instances/${instanceId}/messages`).set(bearer).send({ topic: markerTopic, payload: `${marker}-end`, retain: true }).expect(202);
    for (const spy of spies) await waitFor(() => payloads(spy).includes(`${marker}-end`) || undefined, { timeoutMs: 30_000, what: 'the end marker at a spy' });
    const late = await lateSpy();
    await waitFor(() => payloads(late).includes(`${marker}-end`) || undefined, { timeoutMs: 30_000, what: 'the retained end marker at a late spy' });

    expect(payloads(target).filter((p) => sent.includes(p)).sort()).toEqual(sent);
    expect(target.got.filter((m) => sent.includes(m.payload)).every((m) => !m.retain)).toBe(true);
    for (const spy of [...spies, late]) {
      expect(spy.got.filter((m) => m.topic.includes('/p2p/') || (m.payload.startsWith(marker) && m.payload !== `${marker}-end`))).toEqual([]);
    }
  };

  it('in a tenant instance: no cmd/# subscriber sees a message for cmd/p2p/<target>, and the target gets each one', async () => {
    const creds = (id: string) => tenant.credentials(id);
    const targetId = `GID_fleet@@@target-${marker}`;
    const topic = `cmd/p2p/${targetId}`;
    const target = await device(targetId, [], creds(targetId));
    const spyId = `GID_fleet@@@spy-${marker}`;
    // The widest filters the ACL lets another device hold over the target's P2P topic.
    const spy = await device(spyId, ['cmd/#', `cmd/+/${targetId}`], creds(spyId));
    const senderId = `GID_fleet@@@sender-${marker}`;
    const sender = await device(senderId, [], creds(senderId));
    await warmUp(tenant.instanceId, 'cmd/warm', spy);

    const sent = await sendEveryWay(tenant.instanceId, topic, targetId, sender.client, backendTopic('tenant-cmd'));
    const lateId = `GID_fleet@@@late-${marker}`;
    await expectPrivate(tenant.instanceId, 'cmd/end', target, [spy], sent, () => device(lateId, ['cmd/#'], creds(lateId)));
  }, 120_000);

  it('in the anonymous default instance: P2P means the same, for any client ID; a # subscriber sees none of it', async () => {
    const targetId = `anon-target-${marker}`;
    const topic = `demo/p2p/${targetId}`;
    const target = await device(targetId, []);
    const spy = await device(`anon-spy-${marker}`, ['#', 'demo/p2p/+', `demo/p2p/${targetId}`]);
    const sender = await device(`anon-sender-${marker}`, []);
    await warmUp('default', `demo/${marker}/warm`, spy);

    const sent = await sendEveryWay('default', topic, targetId, sender.client, backendTopic('anon-cmd'));
    await expectPrivate('default', `demo/${marker}/end`, target, [spy], sent, () => device(`anon-late-${marker}`, [`demo/#`]));
  }, 120_000);

  it('a device reaches a P2P target connected to another gateway node, once, and the wildcard subscribers there see nothing', async () => {
    const other = await startNode({ brokers, dataSource: ds });
    try {
      const creds = (id: string) => tenant.credentials(id);
      const connectTo = async (n: TestNode, clientId: string, subscribe: string[]): Promise<Device> => {
        const client = await mqtt.connectAsync(n.url, { clientId, reconnectPeriod: 0, protocolVersion: 4, ...creds(clientId) });
        clients.push(client);
        const got: Device['got'] = [];
        client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
        if (subscribe.length > 0) await client.subscribeAsync(subscribe, { qos: 1 });
        return { client, got };
      };
      const targetId = `GID_fleet@@@remote-${marker}`;
      const target = await connectTo(other, targetId, []);
      const spy = await connectTo(other, `GID_fleet@@@remote-spy-${marker}`, ['cmd/#']);
      const sender = await device(`GID_fleet@@@remote-sender-${marker}`, [], creds(`GID_fleet@@@remote-sender-${marker}`));
      await warmUp(tenant.instanceId, 'cmd/warm-remote', spy);
      await sender.client.publishAsync(`cmd/p2p/${targetId}`, 'across-1', { qos: 1 });
      await sender.client.publishAsync(`cmd/p2p/${targetId}`, 'across-2', { qos: 0 });
      await waitFor(() => payloads(target).length >= 2 || undefined, { timeoutMs: 20_000, what: `both messages at the remote target (has ${payloads(target).join(',')})` });
      await api().post(`/api/v1/instances/${tenant.instanceId}/messages`).set(bearer).send({ topic: 'cmd/warm-remote', payload: 'end' }).expect(202);
      await waitFor(() => payloads(spy).includes('end') || undefined, { timeoutMs: 20_000, what: 'the end marker at the remote spy' });
      expect(payloads(target)).toEqual(['across-1', 'across-2']);
      expect(spy.got.filter((m) => m.topic.includes('/p2p/'))).toEqual([]);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('a device listening on its own P2P topic with mosquitto_sub (as in the README) gets each message once', async () => {
    const id = `GID_fleet@@@listener-${marker}`;
    const { username, password } = tenant.credentials(id);
    const topic = `cmd/p2p/${id}`;
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(node.port), '-i', id, '-u', username, '-P', password, '-q', '1', '-t', topic, '-C', '2', '-v', '-V', 'mqttv311']);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => sub.on('exit', resolve));
    try {
      await waitFor(() => node.gateway.registry.get(tenant.instanceId, id) !== undefined || undefined, { timeoutMs: 10_000, what: 'mosquitto_sub connected' });
      const I = `/api/v1/instances/${tenant.instanceId}`;
      await api().post(`${I}/messages`).set(bearer).send({ topic, payload: 'reboot', qos: 1 }).expect(202);
      await waitFor(() => out.includes('reboot') || undefined, { timeoutMs: 20_000, what: 'the first command' });
      await api().post(`${I}/messages`).set(bearer).send({ topic, payload: 'second', qos: 1 }).expect(202);
      // -C 2: it exits after two messages; a duplicate of the first would be the second line.
      expect(await exited).toBe(0);
      expect(out.trim().split('\n')).toEqual([`${topic} reboot`, `${topic} second`]);
    } finally {
      sub.kill();
    }
  }, 60_000);

  it('refuses a clientId that contradicts the topic, or comes with a topic that is not P2P, naming the field', async () => {
    const I = `/api/v1/instances/${tenant.instanceId}`;
    const contradicting = await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/p2p/GID_fleet@@@a', payload: 'x', clientId: 'GID_fleet@@@b' }).expect(400);
    expect(contradicting.body.errors.map((e: { field: string }) => e.field)).toEqual(['clientId']);
    const notP2P = await api().post(`${I}/messages/batch`).set(bearer).send({ messages: [{ topic: 'cmd/all', payload: 'x', clientId: 'GID_fleet@@@a' }] }).expect(400);
    expect(notP2P.body.errors.map((e: { field: string }) => e.field)).toEqual(['messages.0.clientId']);
  });
});
