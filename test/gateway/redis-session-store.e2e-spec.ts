// FLEETMQ_SESSION_STORE=redis: two gateway nodes (each with its Kafka bridge) share one private
// redis-server, the test PostgreSQL schema, Kafka and one downlink consumer group of their own.
// Real MQTT.js clients on real sockets.
import { Readable } from 'node:stream';
import type { Producer } from 'kafkajs';
import type { MqttClient } from 'mqtt';
import type { DataSource } from 'typeorm';
import { checkReadiness, createLogger } from '#config';
import { buildDownlinkRecord, DOWNLINK_TOPIC, RedisPresenceDirectory, type DownlinkMessage } from '#messaging';
import { dropSchema, uniqueSchema } from '../helpers/database.js';
import { describeWithKafka, testKafkaBrokers } from '../helpers/kafka.js';
import { counter } from '../helpers/metrics.js';
import { connectInbox, connectPacket, endAllClients, endClient, Inbox, publish, RawSocket, sleep, subscribe, waitForClose, type ClientOptions } from '../helpers/mqtt.js';
import { describeWithRedisServer, redisServerMissing, TestRedisServer } from '../helpers/redis-server.js';
import { quietWindow, waitFor } from '../helpers/wait.js';
import { createTenant, openTestDataSource, rawProducer, startNode, testKafka, uniqueId, type TestNode } from './kafka-harness.js';

/** The members of a node's aedes broker the DISCONNECT-on-CONNACK test reaches. */
interface AedesForTest {
  persistence: { outgoingStream(client: { id: string }): AsyncIterable<unknown> };
  on(event: 'clientDisconnect', listener: (client: { id: string }) => void): unknown;
  off(event: 'clientDisconnect', listener: (client: { id: string }) => void): unknown;
}

const describeMultiNode = redisServerMissing() === undefined ? describeWithKafka : describeWithRedisServer;

describeMultiNode('Redis session store: two gateway nodes share subscriptions, sessions and retained messages', () => {
  const schema = uniqueSchema('redisstore');
  const redis = new TestRedisServer();
  let ds: DataSource;
  let a: TestNode;
  let b: TestNode;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let producer: Producer;
  /** The tier's one authority for "where is client X", read as the console reads it. */
  let directory: RedisPresenceDirectory;
  /** Payloads of the downlink records each node read (by node ID): a record must be read by one node of the tier. */
  const reads = new Map<string, string[]>();
  // Unique per run: this tier must not share its group with another run's tier on the same Kafka.
  const downlinkGroup = uniqueId('fleetmq-test-downlink-');

  const startRedisNode = async (name: string): Promise<TestNode> => {
    const node = await startNode({
      brokers: testKafkaBrokers(),
      dataSource: ds,
      nodeId: uniqueId(`redis-${name}-`),
      env: { FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: redis.url, FLEETMQ_DOWNLINK_GROUP: downlinkGroup },
    });
    const seen: string[] = [];
    reads.set(node.nodeId, seen);
    const bridge = (node.bridge as unknown as { downlink: { handle(msg: DownlinkMessage): Promise<void> } }).downlink;
    const handle = bridge.handle.bind(bridge);
    bridge.handle = (msg) => {
      seen.push(msg.payload.toString());
      return handle(msg);
    };
    return node;
  };
  const readsOf = (payload: string): number => [...reads.values()].reduce((n, seen) => n + seen.filter((p) => p === payload).length, 0);

  const sendDownlink = (topic: string, payload: string, qos: 0 | 1 = 1, targetClientId?: string) =>
    producer.send({
      topic: DOWNLINK_TOPIC,
      acks: -1,
      messages: [buildDownlinkRecord({ instanceId: tenant.instanceId, topic, qos, retain: false, payload: Buffer.from(payload), targetClientId })],
    });
  const p2pTopic = (clientId: string) => `telemetry/p2p/${clientId}`;

  /** Resolves when `node` reports the end of `clientId`'s connection and the directory no longer says it is online there. */
  const goneFrom = async (node: TestNode, clientId: string, end: () => Promise<void>): Promise<void> => {
    const disconnected = new Promise<void>((resolve) => {
      const off = node.gateway.events.on('disconnected', (ctx) => {
        if (ctx.clientId !== clientId) return;
        off();
        resolve();
      });
    });
    await end();
    await disconnected;
    await waitFor(async () => (await directory.locate(tenant.instanceId, clientId)).state !== 'online', { timeoutMs: 5_000, what: `${clientId} offline in the directory` });
  };

  /** A device of the tenant on `node`; the client ID is fresh unless given. */
  const device = async (node: TestNode, options: ClientOptions & { id?: string } = {}): Promise<{ client: MqttClient; inbox: Inbox; clientId: string }> => {
    const clientId = options.id ?? `${tenant.groupId}@@@${uniqueId('d')}`;
    const { client, inbox } = await connectInbox(node.url, { clientId, ...tenant.credentials(clientId), ...options });
    return { client, inbox, clientId };
  };

  beforeAll(async () => {
    await redis.start();
    ds = await openTestDataSource(schema);
    tenant = await createTenant(ds, 'telemetry', 'GID_test');
    a = await startRedisNode('a');
    b = await startRedisNode('b');
    producer = await rawProducer(testKafka(testKafkaBrokers()));
    directory = new RedisPresenceDirectory({ redisUrl: redis.url, logger: createLogger('silent') });
  });

  afterAll(async () => {
    await endAllClients();
    await directory?.stop();
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

  it('reads a downlink broadcast on one node only and hands it to the subscribers on both nodes once each', async () => {
    const topic = `telemetry/${uniqueId('broadcast')}`;
    const onA = await device(a);
    const onB = await device(b);
    await subscribe(onA.client, topic, 1);
    await subscribe(onB.client, topic, 1);
    const send = (payload: string) => sendDownlink(topic, payload);
    // The tier's group starts at the latest offset when it forms: warm up until it delivers.
    await waitFor(
      async () => {
        await send('warm-up');
        return onA.inbox.messages.length > 0 && onB.inbox.messages.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the tier to read fleetmq.downlink' },
    );
    await send('once');
    await waitFor(() => onA.inbox.messages.some((m) => m.payload.toString() === 'once') && onB.inbox.messages.some((m) => m.payload.toString() === 'once'), {
      timeoutMs: 10_000,
      what: 'the broadcast on both nodes',
    });
    await quietWindow(1_000, 'a second copy published by the other node');
    expect(onA.inbox.messages.filter((m) => m.payload.toString() === 'once')).toHaveLength(1);
    expect(onB.inbox.messages.filter((m) => m.payload.toString() === 'once')).toHaveLength(1);
    expect(readsOf('once')).toBe(1);
    await endClient(onA.client);
    await endClient(onB.client);
  });

  it('reads a downlink P2P record on one node and forwards it to the node holding the target, which delivers it once', async () => {
    const clientId = `${tenant.groupId}@@@${uniqueId('fwd')}`;
    const topic = p2pTopic(clientId);
    // Records keyed by one target land in one partition: find the node that reads it, then
    // connect the target to the other node so that every record has to be forwarded.
    const probe = `probe-${clientId}`;
    let probes = 0;
    await waitFor(
      async () => {
        await sendDownlink(topic, probe);
        probes++;
        return readsOf(probe) > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the tier to read fleetmq.downlink' },
    );
    // The probe sent last may still be on its way: read after the target connects, it would be
    // forwarded to it. Every probe is read first (once each).
    await waitFor(() => readsOf(probe) >= probes, { timeoutMs: 10_000, what: 'every probe read' });
    const reader = reads.get(a.nodeId)!.includes(probe) ? a : b;
    const holder = reader === a ? b : a;
    const target = await device(holder, { id: clientId });
    await waitFor(async () => (await directory.locate(tenant.instanceId, clientId)).state === 'online', { timeoutMs: 5_000, what: 'the target in the directory' });
    const forwardedBefore = await counter('fleetmq_gateway_p2p_routed_total', { route: 'forwarded' });
    const sent = ['d1', 'd2', 'd3', 'd4', 'd5'];
    for (const payload of sent) await sendDownlink(topic, payload);
    await waitFor(() => target.inbox.messages.length >= sent.length, { timeoutMs: 15_000, what: `the P2P records on ${holder.nodeId}` });
    await quietWindow(1_000, 'a second copy of a P2P record');
    expect(target.inbox.messages.map((m) => m.payload.toString())).toEqual(sent);
    for (const payload of sent) expect(reads.get(reader.nodeId)!.filter((p) => p === payload)).toHaveLength(1);
    expect(reads.get(holder.nodeId)!.filter((p) => sent.includes(p))).toEqual([]);
    expect(await counter('fleetmq_gateway_p2p_routed_total', { route: 'forwarded' })).toBe(forwardedBefore + sent.length);
    await endClient(target.client);
  });

  it('queues QoS 1 P2P (downlink and device to device) for an offline persistent client, delivered in order when it reconnects to the other node', async () => {
    const persistent = { clean: false };
    const target = await device(a, persistent);
    await goneFrom(a, target.clientId, () => endClient(target.client));
    expect(await directory.locate(tenant.instanceId, target.clientId)).toEqual({ state: 'offline-persistent' });

    const queuedBefore = await counter('fleetmq_gateway_p2p_routed_total', { route: 'queued-offline' });
    const downlink = ['k1', 'k2', 'k3'];
    for (const payload of downlink) await sendDownlink(p2pTopic(target.clientId), payload);
    const sender = await device(b);
    const fromDevice = ['s1', 's2', 's3'];
    for (const payload of fromDevice) await publish(sender.client, p2pTopic(target.clientId), payload, { qos: 1 });
    await waitFor(async () => (await counter('fleetmq_gateway_p2p_routed_total', { route: 'queued-offline' })) >= queuedBefore + 6, {
      timeoutMs: 20_000,
      what: 'six messages queued for the offline session',
    });

    const { client: again, inbox } = await connectInbox(b.url, { clientId: target.clientId, ...tenant.credentials(target.clientId), ...persistent });
    const got = () => inbox.messages.map((m) => m.payload.toString());
    await waitFor(() => got().length >= 6, { timeoutMs: 10_000, what: 'the queued P2P messages on node B' });
    expect(got().filter((p) => downlink.includes(p))).toEqual(downlink);
    expect(got().filter((p) => fromDevice.includes(p))).toEqual(fromDevice);
    expect(inbox.messages.every((m) => m.packet.qos === 1 && m.topic === p2pTopic(target.clientId))).toBe(true);
    await quietWindow(500, 'a queued message delivered twice');
    expect(got()).toHaveLength(6);
    await endClient(again);
    await endClient(sender.client);
  });

  it('does not queue QoS 0 P2P for an offline persistent client: it is counted absent', async () => {
    const persistent = { clean: false };
    const target = await device(b, persistent);
    await goneFrom(b, target.clientId, () => endClient(target.client));
    const absentBefore = await counter('fleetmq_gateway_p2p_routed_total', { route: 'absent' });
    const queuedBefore = await counter('fleetmq_gateway_p2p_routed_total', { route: 'queued-offline' });
    await sendDownlink(p2pTopic(target.clientId), 'qos0-dropped', 0);
    await sendDownlink(p2pTopic(target.clientId), 'qos1-queued', 1);
    await waitFor(async () => (await counter('fleetmq_gateway_p2p_routed_total', { route: 'queued-offline' })) > queuedBefore, { timeoutMs: 20_000, what: 'the QoS 1 record queued' });
    expect(await counter('fleetmq_gateway_p2p_routed_total', { route: 'absent' })).toBe(absentBefore + 1);

    const { client: again, inbox } = await connectInbox(a.url, { clientId: target.clientId, ...tenant.credentials(target.clientId), ...persistent });
    await inbox.next((m) => m.payload.toString() === 'qos1-queued', 10_000);
    await quietWindow(500, 'the QoS 0 message queued after all');
    expect(inbox.messages.map((m) => m.payload.toString())).toEqual(['qos1-queued']);
    await endClient(again);
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

  it('reports a persistent session that sends DISCONNECT as soon as its CONNACK arrives as connected, then disconnected (offline in the directory)', async () => {
    // aedes writes CONNACK, then reads the session's queue from Redis, and handles a DISCONNECT
    // that comes meanwhile: such a session was neither announced nor reported gone. Here the
    // queue read of this client waits until aedes has let it go, as a slow Redis would.
    const clientId = `${tenant.groupId}@@@${uniqueId('quick')}`;
    const broker = (a.gateway as unknown as { broker: AedesForTest }).broker;
    const gone = new Promise<void>((resolve) => {
      const onGone = (client: { id: string }) => {
        if (!client.id.endsWith(`/${clientId}`)) return;
        broker.off('clientDisconnect', onGone);
        resolve();
      };
      broker.on('clientDisconnect', onGone);
    });
    const persistence = broker.persistence;
    const outgoingStream = persistence.outgoingStream;
    persistence.outgoingStream = (client) => {
      if (!client.id.endsWith(`/${clientId}`)) return outgoingStream.call(persistence, client);
      return Readable.from(
        (async function* () {
          await gone;
          yield* outgoingStream.call(persistence, client);
        })(),
      );
    };
    try {
      const connected = new Promise<void>((resolve) => {
        const off = a.gateway.events.on('connected', (ctx) => {
          if (ctx.clientId !== clientId) return;
          off();
          resolve();
        });
      });
      const disconnected = nextDisconnect(a, clientId);
      const raw = await RawSocket.open(Number(new URL(a.url).port));
      raw.socket.on('data', (bytes) => {
        if (bytes[0] === 0x20) raw.write(Buffer.from([0xe0, 0x00]));
      });
      const { username, password } = tenant.credentials(clientId);
      raw.write(connectPacket(clientId, { clean: false, username, password: Buffer.from(password) }));
      await gone;
      const reported = await Promise.race([Promise.all([connected, disconnected]).then(([, reason]) => reason), sleep(5_000).then(() => 'no connected/disconnected pair within 5 s')]);
      expect(reported).toBe('normal');
      await waitFor(async () => (await directory.locate(tenant.instanceId, clientId)).state === 'offline-persistent', { timeoutMs: 5_000, what: `${clientId} offline-persistent in the directory` });
      raw.destroy();
    } finally {
      persistence.outgoingStream = outgoingStream;
    }
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
    // Node A's disconnect of the old connection did not erase node B's entry.
    expect(await directory.locate(tenant.instanceId, first.clientId)).toEqual({ state: 'online', nodeId: b.nodeId, persistent: false });
    await sendDownlink(p2pTopic(first.clientId), 'p2p-after-takeover');
    expect((await second.inbox.next((m) => m.payload.toString() === 'p2p-after-takeover', 15_000)).topic).toBe(p2pTopic(first.clientId));
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

    // aedes writes a QoS 1 PUBACK before it queues the message for offline sessions, then hands
    // it to subscribers: once this live subscriber has the last one, the queue holds them all.
    // Otherwise the last one can reach the resuming session live: after the queued ones, or
    // even before its CONNACK (aedes subscribes it again before CONNACK), which MQTT.js never
    // gets past (it holds the PUBACK until connected and handles nothing else): connack timeout.
    const canary = await device(b);
    await subscribe(canary.client, topic, 1);
    const pub = await device(b);
    const sent = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const payload of sent) await publish(pub.client, topic, payload, { qos: 1 });
    await canary.inbox.next((m) => m.topic === topic && m.payload.toString() === sent.at(-1), 10_000);

    const { client: again, inbox } = await connectInbox(b.url, { clientId: first.clientId, ...tenant.credentials(first.clientId), ...persistent });
    await waitFor(() => inbox.messages.filter((m) => m.topic === topic).length >= sent.length, { timeoutMs: 10_000, what: 'the queued messages on node B' });
    expect(inbox.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString())).toEqual(sent);
    expect(inbox.messages.every((m) => m.packet.qos === 1)).toBe(true);
    await endClient(again);
    await endClient(pub.client);
    await endClient(canary.client);
  });

  it('asks Redis whether a connecting client has anything queued, and streams the queue only then (patches/aedes+1.2.0.patch)', async () => {
    const persistence = (b.gateway as unknown as { broker: AedesForTest }).broker.persistence;
    const streamed: string[] = [];
    const outgoingStream = persistence.outgoingStream;
    persistence.outgoingStream = function (this: AedesForTest['persistence'], client) {
      streamed.push(client.id.split('/').pop()!);
      return outgoingStream.call(this, client);
    };
    try {
      const fresh = await device(b);
      await endClient(fresh.client);
      expect(streamed).toEqual([]);

      // Queued on node A while the session is offline; node B must find it in Redis.
      const topic = `telemetry/${uniqueId('asked')}`;
      const first = await device(b, { clean: false });
      await subscribe(first.client, topic, 1);
      await goneFrom(b, first.clientId, () => endClient(first.client));
      const pub = await device(a);
      await publish(pub.client, topic, 'queued', { qos: 1 });
      await waitFor(async () => !(await (persistence as unknown as { outgoingQueueEmpty(c: { id: string }): Promise<boolean> }).outgoingQueueEmpty({ id: `${tenant.instanceId}/${first.clientId}` })), { what: 'the queued message in Redis' });
      const { client: again, inbox } = await connectInbox(b.url, { clientId: first.clientId, ...tenant.credentials(first.clientId), clean: false });
      expect((await inbox.next((m) => m.topic === topic)).payload.toString()).toBe('queued');
      expect(streamed).toEqual([first.clientId]);
      await endClient(again);
      await endClient(pub.client);
    } finally {
      persistence.outgoingStream = outgoingStream;
    }
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
    const { client: resumed, inbox: resumedInbox } = await connectInbox(b.url, { clientId: offline.clientId, ...tenant.credentials(offline.clientId), clean: false });
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
