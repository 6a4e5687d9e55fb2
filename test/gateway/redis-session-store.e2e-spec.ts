// FLEETMQ_SESSION_STORE=redis: two gateway nodes (each with its Kafka bridge) share one private
// redis-server, the test PostgreSQL schema and Kafka. Real MQTT.js clients on real sockets.
import type { Producer } from 'kafkajs';
import type { MqttClient } from 'mqtt';
import type { DataSource } from 'typeorm';
import { checkReadiness } from '#config';
import { buildDownlinkRecord, DOWNLINK_TOPIC } from '#messaging';
import { dropSchema, uniqueSchema } from '../helpers/database.js';
import { describeWithKafka, testKafkaBrokers } from '../helpers/kafka.js';
import { connectClient, endAllClients, endClient, Inbox, publish, subscribe, waitForClose, type ClientOptions } from '../helpers/mqtt.js';
import { describeWithRedisServer, redisServerMissing, TestRedisServer } from '../helpers/redis-server.js';
import { quietWindow, waitFor } from '../helpers/wait.js';
import { createTenant, openTestDataSource, rawProducer, startNode, testKafka, uniqueId, type TestNode } from './kafka-harness.js';

const describeMultiNode = redisServerMissing() === undefined ? describeWithKafka : describeWithRedisServer;

describeMultiNode('Redis session store: two gateway nodes share subscriptions, sessions and retained messages', () => {
  const schema = uniqueSchema('redisstore');
  const redis = new TestRedisServer();
  let ds: DataSource;
  let a: TestNode;
  let b: TestNode;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let producer: Producer;

  const startRedisNode = (name: string) =>
    startNode({
      brokers: testKafkaBrokers(),
      dataSource: ds,
      nodeId: uniqueId(`redis-${name}-`),
      env: { FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: redis.url },
    });

  /** A device of the tenant on `node`; the client ID is fresh unless given. */
  const device = async (node: TestNode, options: ClientOptions & { id?: string } = {}): Promise<{ client: MqttClient; inbox: Inbox; clientId: string }> => {
    const clientId = options.id ?? `${tenant.groupId}@@@${uniqueId('d')}`;
    const client = await connectClient(node.url, { clientId, ...tenant.credentials(clientId), ...options });
    return { client, inbox: new Inbox(client), clientId };
  };

  beforeAll(async () => {
    await redis.start();
    ds = await openTestDataSource(schema);
    tenant = await createTenant(ds, 'telemetry', 'GID_test');
    a = await startRedisNode('a');
    b = await startRedisNode('b');
    producer = await rawProducer(testKafka(testKafkaBrokers()));
  });

  afterAll(async () => {
    await endAllClients();
    await producer?.disconnect();
    await a?.stop();
    await b?.stop();
    await ds?.destroy();
    await dropSchema(schema);
    await redis.dispose();
  });

  it('delivers a publish on node A to a subscriber on node B, exactly once', async () => {
    const topic = `telemetry/${uniqueId('fan')}`;
    const sub = await device(b);
    expect(await subscribe(sub.client, topic, 1)).toEqual([1]);
    const pub = await device(a);
    await publish(pub.client, topic, 'across', { qos: 1 });
    const got = await sub.inbox.next((m) => m.topic === topic, 10_000);
    expect(got.payload.toString()).toBe('across');
    await quietWindow(500, 'a second copy from the other node');
    expect(sub.inbox.messages.filter((m) => m.topic === topic)).toHaveLength(1);
    await endClient(sub.client);
    await endClient(pub.client);
  });

  it('delivers a device-to-device P2P message from node A to its target on node B exactly once', async () => {
    const target = await device(b);
    const sender = await device(a);
    const topic = `telemetry/p2p/${target.clientId}`;
    await publish(sender.client, topic, 'p2p-across', { qos: 1 });
    const got = await target.inbox.next((m) => m.payload.toString() === 'p2p-across', 15_000);
    expect(got.topic).toBe(topic);
    await quietWindow(1_000, 'a second copy through the shared emitter or the Kafka relay');
    expect(target.inbox.messages.filter((m) => m.payload.toString() === 'p2p-across')).toHaveLength(1);
    await endClient(target.client);
    await endClient(sender.client);
  });

  it('hands a downlink broadcast, which every node reads from Kafka, to each subscriber once', async () => {
    const topic = `telemetry/${uniqueId('broadcast')}`;
    const onA = await device(a);
    const onB = await device(b);
    await subscribe(onA.client, topic, 1);
    await subscribe(onB.client, topic, 1);
    const send = (payload: string) =>
      producer.send({ topic: DOWNLINK_TOPIC, acks: -1, messages: [buildDownlinkRecord({ instanceId: tenant.instanceId, topic, qos: 1, retain: false, payload: Buffer.from(payload) })] });
    // Each node's downlink group starts at the latest offset when it joins: warm up until both nodes read.
    await waitFor(
      async () => {
        await send('warm-up');
        return onA.inbox.messages.length > 0 && onB.inbox.messages.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'both nodes to read fleetmq.downlink' },
    );
    await send('once');
    await waitFor(() => onA.inbox.messages.some((m) => m.payload.toString() === 'once') && onB.inbox.messages.some((m) => m.payload.toString() === 'once'), {
      timeoutMs: 10_000,
      what: 'the broadcast on both nodes',
    });
    await quietWindow(1_000, 'a second copy published by the other node');
    expect(onA.inbox.messages.filter((m) => m.payload.toString() === 'once')).toHaveLength(1);
    expect(onB.inbox.messages.filter((m) => m.payload.toString() === 'once')).toHaveLength(1);
    await endClient(onA.client);
    await endClient(onB.client);
  });

  /** Resolves with the reason of `clientId`'s next disconnect on `node`. */
  const nextDisconnect = (node: TestNode, clientId: string): Promise<string> =>
    new Promise((resolve) => {
      const off = node.gateway.events.on('disconnected', (ctx, reason) => {
        if (ctx.clientId !== clientId) return;
        off();
        resolve(reason);
      });
    });

  // With and without a subscription: without one aedes' close on node A ends synchronously inside its
  // $SYS listener, with one it waits for the emitter, so both orders of "mark" and "close" are exercised.
  it.each([
    ['without subscriptions', false],
    ['with a subscription', true],
  ])('connects one client ID at most once in the cluster: a CONNECT on node B closes its connection on node A, reported as takeover (%s) [MQTT-3.1.4-2]', async (_name, subscribed) => {
    const first = await device(a, { clean: false });
    if (subscribed) await subscribe(first.client, `telemetry/${uniqueId('held')}`, 1);
    const closedOnA = waitForClose(first.client, 10_000);
    const reasonOnA = nextDisconnect(a, first.clientId);
    const second = await device(b, { id: first.clientId });
    await closedOnA;
    expect(await reasonOnA).toBe('takeover');
    await quietWindow(500, 'node B closing the new connection too');
    expect(second.client.connected).toBe(true);
    const topic = `telemetry/${uniqueId('after-takeover')}`;
    await subscribe(second.client, topic, 1);
    const pub = await device(a);
    await publish(pub.client, topic, 'to-the-new-connection', { qos: 1 });
    expect((await second.inbox.next((m) => m.topic === topic, 10_000)).payload.toString()).toBe('to-the-new-connection');
    await endClient(second.client);
    await endClient(pub.client);
  });

  it('resumes a persistent session on node B with the QoS 1 messages published while it was offline, in order', async () => {
    const topic = `telemetry/${uniqueId('queue')}`;
    const persistent = { clean: false };
    const first = await device(a, persistent);
    expect(await subscribe(first.client, topic, 1)).toEqual([1]);
    const goneFromA = new Promise<void>((resolve) => {
      const off = a.gateway.events.on('disconnected', (ctx) => {
        if (ctx.clientId !== first.clientId) return;
        off();
        resolve();
      });
    });
    await endClient(first.client);
    await goneFromA;

    const pub = await device(b);
    const sent = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const payload of sent) await publish(pub.client, topic, payload, { qos: 1 });

    const again = await connectClient(b.url, { clientId: first.clientId, ...tenant.credentials(first.clientId), ...persistent });
    const inbox = new Inbox(again);
    await waitFor(() => inbox.messages.filter((m) => m.topic === topic).length >= sent.length, { timeoutMs: 10_000, what: 'the queued messages on node B' });
    expect(inbox.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString())).toEqual(sent);
    expect(inbox.messages.every((m) => m.packet.qos === 1)).toBe(true);
    await endClient(again);
    await endClient(pub.client);
  });

  it('keeps retained messages cluster-wide: retained on node A, received by a new subscriber on node B', async () => {
    const topic = `telemetry/${uniqueId('retained')}`;
    const pub = await device(a);
    await publish(pub.client, topic, 'kept', { qos: 1, retain: true });
    await endClient(pub.client);
    const sub = await device(b);
    await subscribe(sub.client, topic, 1);
    const got = await sub.inbox.next((m) => m.topic === topic, 10_000);
    expect(got.payload.toString()).toBe('kept');
    expect(got.packet.retain).toBe(true);
    await endClient(sub.client);
  });

  it('after a Redis restart that kept nothing: readiness goes down and up, pub/sub across nodes works again, stored state is gone', async () => {
    const retainedTopic = `telemetry/${uniqueId('lost-retained')}`;
    const queuedTopic = `telemetry/${uniqueId('lost-queue')}`;
    const pub = await device(a);
    await publish(pub.client, retainedTopic, 'before-restart', { qos: 1, retain: true });
    const offline = await device(a, { clean: false });
    await subscribe(offline.client, queuedTopic, 1);
    await endClient(offline.client);
    await publish(pub.client, queuedTopic, 'queued-before-restart', { qos: 1 });
    await endClient(pub.client);

    await redis.stop();
    const down = await checkReadiness([{ name: 'redis', check: () => a.gateway.pingSessionStore() }], 500);
    expect(down.checks.redis?.status).toBe('down');
    await redis.start();
    await waitFor(async () => (await checkReadiness([{ name: 'redis', check: () => a.gateway.pingSessionStore() }], 500)).status === 'ready', {
      timeoutMs: 20_000,
      what: 'node A to reach Redis again',
    });

    // Pub/sub across nodes resumes once both nodes' emitters have resubscribed (ioredis does it on reconnect).
    const topic = `telemetry/${uniqueId('after')}`;
    const sub = await device(b);
    await subscribe(sub.client, topic, 1);
    const again = await device(a);
    await waitFor(
      async () => {
        await publish(again.client, topic, 'after-restart', { qos: 1 });
        return sub.inbox.messages.some((m) => m.topic === topic);
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'a publish on A to reach B after the restart' },
    );

    // What Redis without persistence lost: the retained message, and the offline session with its queue.
    const late = await device(b);
    await subscribe(late.client, retainedTopic, 1);
    const resumed = await connectClient(b.url, { clientId: offline.clientId, ...tenant.credentials(offline.clientId), clean: false });
    const resumedInbox = new Inbox(resumed);
    expect(resumed.options.clean).toBe(false);
    await quietWindow(1_000, 'a retained or queued message that survived the restart');
    expect(late.inbox.messages.filter((m) => m.topic === retainedTopic)).toEqual([]);
    expect(resumedInbox.messages.filter((m) => m.topic === queuedTopic)).toEqual([]);
    await endClient(resumed);
    await endClient(late.client);
    await endClient(sub.client);
    await endClient(again.client);
  });
});
