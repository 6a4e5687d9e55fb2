// Issue 11, offline queue bounds: a gateway process (memory store, then Redis store on a private
// redis-server) with FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES / _MAX_AGE_MS; real MQTT.js clients,
// the shared test Kafka and PostgreSQL. The bound is above aedes-persistence-redis' own
// per-reconnect read (maxSessionDelivery 1000 + 1), which FleetMQ lifts.
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { connectClient, connectInbox, endAllClients, endClient, Inbox, publish, sleep, subscribe } from '../helpers/mqtt.js';
import { redisServerMissing, TestRedisServer } from '../helpers/redis-server.js';
import { quietWindow, waitFor } from '../helpers/wait.js';
import { GatewayProcess, createTestDatabase, runTag } from '../reliability/harness.js';

const MAX_MESSAGES = 1_010;
const OVER = 5;
const MAX_AGE_MS = 3_000;

const stores = redisServerMissing() === undefined ? (['memory', 'redis'] as const) : (['memory'] as const);

for (const store of stores) {
  describeWithKafka(`offline queue bounds, ${store} session store (gateway process)`, () => {
    const brokers = kafkaBrokers()!;
    const redis = new TestRedisServer();
    let db: { url: string; drop(): Promise<void> } | undefined;
    let gw: GatewayProcess;
    // Each bound on a gateway of its own: with both on one, a loaded machine that takes longer
    // than the age bound to publish the count test's messages drops its oldest by age.
    let countGateway: GatewayProcess;
    let ageGateway: GatewayProcess;

    const startGateway = async (bounds: Record<string, string>): Promise<GatewayProcess> => {
      const started = new GatewayProcess({
        databaseUrl: db!.url,
        kafkaBrokers: brokers,
        env: { ...bounds, ...(store === 'redis' ? { FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: redis.url } : {}) },
      });
      await started.start();
      return started;
    };

    beforeAll(async () => {
      db = await createTestDatabase();
      if (store === 'redis') await redis.start();
      countGateway = await startGateway({ FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES: String(MAX_MESSAGES) });
      ageGateway = await startGateway({ FLEETMQ_OFFLINE_QUEUE_MAX_AGE_MS: String(MAX_AGE_MS) });
    }, 90_000);

    afterAll(async () => {
      await endAllClients();
      await countGateway?.stop('SIGKILL');
      await ageGateway?.stop('SIGKILL');
      await redis.dispose();
      await db?.drop();
    }, 60_000);

    /** A persistent (cleanSession=false) subscriber to `topic` that then goes offline. */
    const offlineSubscriber = async (topic: string): Promise<string> => {
      const clientId = runTag('offline-');
      const client = await connectClient(gw.mqttUrl, { clientId, clean: false });
      expect(await subscribe(client, topic, 1)).toEqual([1]);
      await endClient(client);
      return clientId;
    };

    const resume = async (clientId: string): Promise<Inbox> => (await connectInbox(gw.mqttUrl, { clientId, clean: false })).inbox;

    /**
     * A live subscriber of `topic`: aedes queues a message for persistent sessions before it
     * hands it to live subscribers (publishFuncsQoS), so once this one has `payload`, the queues
     * hold it too. A PUBACK alone does not say so: aedes writes it before it publishes.
     */
    const canary = async (topic: string): Promise<Inbox> => {
      const client = await connectClient(gw.mqttUrl, { clientId: runTag('canary-') });
      await subscribe(client, topic, 1);
      return new Inbox(client);
    };

    it(`delivers the newest ${MAX_MESSAGES} of ${MAX_MESSAGES + OVER} queued QoS 1 messages, in order, and counts the ${OVER} oldest as dropped`, async () => {
      gw = countGateway;
      const topic = `bounds/${runTag('count')}`;
      const clientId = await offlineSubscriber(topic);
      const droppedBefore = await gw.metric('fleetmq_gateway_offline_queue_dropped_total', { reason: 'max-messages' });
      const live = await canary(topic);
      const publisher = await connectClient(gw.mqttUrl, { clientId: runTag('pub-') });
      const sent = Array.from({ length: MAX_MESSAGES + OVER }, (_, i) => `m${i}`);
      // In publish order: one client, QoS 1, MQTT.js sends them in sequence.
      await Promise.all(sent.map((payload) => publish(publisher, topic, payload, { qos: 1 })));
      await live.next((m) => m.payload.toString() === sent.at(-1), 30_000);

      const inbox = await resume(clientId);
      await waitFor(() => inbox.messages.length >= MAX_MESSAGES, { timeoutMs: 30_000, what: `${MAX_MESSAGES} queued messages` });
      await quietWindow(1_000, 'a message over the bound');
      expect(inbox.messages.map((m) => m.payload.toString())).toEqual(sent.slice(OVER));
      expect(inbox.messages.every((m) => m.packet.qos === 1)).toBe(true);
      expect((await gw.metric('fleetmq_gateway_offline_queue_dropped_total', { reason: 'max-messages' })) - droppedBefore).toBe(OVER);
    }, 120_000);

    it(`does not deliver a queued message older than ${MAX_AGE_MS} ms`, async () => {
      gw = ageGateway;
      const topic = `bounds/${runTag('age')}`;
      const clientId = await offlineSubscriber(topic);
      const droppedBefore = await gw.metric('fleetmq_gateway_offline_queue_dropped_total', { reason: 'max-age' });
      const live = await canary(topic);
      const publisher = await connectClient(gw.mqttUrl, { clientId: runTag('pub-') });
      await publish(publisher, topic, 'aged', { qos: 1 });
      // The bound is a time: nothing to wait on but the clock.
      await sleep(MAX_AGE_MS + 500);
      await publish(publisher, topic, 'fresh', { qos: 1 });
      await live.next((m) => m.payload.toString() === 'fresh', 10_000);

      const inbox = await resume(clientId);
      await inbox.next((m) => m.topic === topic, 10_000);
      await quietWindow(1_000, 'the aged message');
      expect(inbox.messages.map((m) => m.payload.toString())).toEqual(['fresh']);
      expect((await gw.metric('fleetmq_gateway_offline_queue_dropped_total', { reason: 'max-age' })) - droppedBefore).toBe(1);
    }, 60_000);
  });
}
