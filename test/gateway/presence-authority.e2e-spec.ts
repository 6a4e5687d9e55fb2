// Issue 11, one presence authority: two standalone gateway processes and a console process on
// a private redis-server (FLEETMQ_SESSION_STORE=redis), one database and the shared Kafka. The
// console's lookup names the node the Redis presence directory names; when a node dies
// (SIGKILL) its clients stop being routed to it: a QoS 1 P2P message to its persistent client
// is queued and delivered when the client reconnects to the surviving node, and one to its clean
// client is counted absent.
import type { Producer } from 'kafkajs';
import { buildDownlinkRecord, DOWNLINK_TOPIC } from '#messaging';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { connectClient, connectInbox, endAllClients, endClient, Inbox } from '../helpers/mqtt.js';
import { describeWithRedisServer, redisServerMissing, TestRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { ConsoleProcess, GatewayProcess, createTestDatabase, runTag } from '../reliability/harness.js';
import { rawProducer, testKafka } from './kafka-harness.js';

const ADMIN_TOKEN = 'presence-authority-admin-token-0123456789';
const describeCluster = redisServerMissing() === undefined ? describeWithKafka : describeWithRedisServer;

interface ClientView {
  online: boolean;
  nodeId: string;
}

describeCluster('one presence authority: console lookup and P2P routing follow the Redis presence directory, also when a node dies', () => {
  const brokers = kafkaBrokers() ?? [];
  const redis = new TestRedisServer();
  let db: { url: string; drop(): Promise<void> } | undefined;
  const gateways: GatewayProcess[] = [];
  let consoleProcess: ConsoleProcess | undefined;
  let consoleUrl = '';
  let producer: Producer | undefined;

  const lookup = async (clientId: string): Promise<ClientView | undefined> => {
    const res = await fetch(`${consoleUrl}/api/v1/instances/default/clients/${encodeURIComponent(clientId)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return res.status === 200 ? ((await res.json()) as ClientView) : undefined;
  };
  const sendP2P = (clientId: string, payload: string) =>
    producer!.send({
      topic: DOWNLINK_TOPIC,
      acks: -1,
      messages: [buildDownlinkRecord({ instanceId: 'default', topic: `cmd/p2p/${clientId}`, qos: 1, retain: false, payload: Buffer.from(payload) })],
    });

  beforeAll(async () => {
    await redis.start();
    db = await createTestDatabase();
    const tier = {
      FLEETMQ_SESSION_STORE: 'redis',
      REDIS_URL: redis.url,
      FLEETMQ_DOWNLINK_GROUP: runTag('fleetmq-test-downlink-'),
      FLEETMQ_HEARTBEAT_MS: '300',
      FLEETMQ_SESSION_FLUSH_MS: '100',
    };
    // One after the other: the first one migrates the fresh database.
    for (let i = 0; i < 2; i++) {
      const gw = new GatewayProcess({ databaseUrl: db.url, kafkaBrokers: brokers, env: tier });
      gateways.push(gw);
      await gw.start();
    }
    consoleProcess = new ConsoleProcess({ databaseUrl: db.url, kafkaBrokers: brokers, adminToken: ADMIN_TOKEN, env: { FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: redis.url } });
    await consoleProcess.start();
    consoleUrl = consoleProcess.url;
    producer = await rawProducer(testKafka(brokers));
  }, 180_000);

  afterAll(async () => {
    await endAllClients();
    await producer?.disconnect();
    consoleProcess?.stop();
    for (const gw of gateways) await gw.stop('SIGKILL');
    await db?.drop();
    await redis.dispose();
  }, 60_000);

  // Proves: the lookup names the node holding each client; after that node is SIGKILLed the
  // lookup says offline within the liveness TTL, a QoS 1 P2P record to its persistent client is
  // queued by the survivor (no node left to forward to) and reaches the client once it reconnects
  // there, and one to its clean client is counted absent, not sent into the void.
  it('looks clients up on the node holding them, and stops routing to a node that died', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const tag = runTag('pa');
    const kept = `${tag}-kept`;
    const clean = `${tag}-clean`;
    const keptClient = await connectClient(b.mqttUrl, { clientId: kept, clean: false, reconnectPeriod: 0 });
    const cleanClient = await connectClient(b.mqttUrl, { clientId: clean, clean: true, reconnectPeriod: 0 });
    for (const id of [kept, clean]) {
      await waitFor(async () => (await lookup(id))?.nodeId === b.nodeId && (await lookup(id))?.online, { timeoutMs: 10_000, what: `${id} online on ${b.nodeId}` });
    }
    // The tier reads fleetmq.downlink: a P2P record reaches the client on B whichever node reads it.
    const liveInbox = new Inbox(keptClient);
    await waitFor(
      async () => {
        await sendP2P(kept, 'while-alive');
        return liveInbox.messages.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'a P2P record to reach the client on B' },
    );

    await b.kill();
    keptClient.end(true);
    cleanClient.end(true);
    await waitFor(async () => (await lookup(kept))?.online === false && (await lookup(clean))?.online === false, {
      timeoutMs: 10_000,
      what: "the dead node's clients offline in the lookup",
    });

    const absentBefore = await a.metric('fleetmq_gateway_p2p_routed_total', { route: 'absent' });
    await sendP2P(kept, 'after-death-1');
    await sendP2P(kept, 'after-death-2');
    await sendP2P(clean, 'into-the-void');
    // Node A takes over B's partitions after the group's session timeout (10 s).
    await waitFor(async () => (await a.metric('fleetmq_gateway_p2p_routed_total', { route: 'queued-offline' })) >= 2, {
      timeoutMs: 40_000,
      intervalMs: 500,
      what: () => `node A to queue the messages for the persistent client:\n${a.logTail}`,
    });
    await waitFor(async () => (await a.metric('fleetmq_gateway_p2p_routed_total', { route: 'absent' })) >= absentBefore + 1, {
      timeoutMs: 40_000,
      intervalMs: 500,
      what: 'node A to count the message for the clean client absent',
    });

    const { client: again, inbox } = await connectInbox(a.mqttUrl, { clientId: kept, clean: false, reconnectPeriod: 0 });
    await waitFor(() => inbox.messages.filter((m) => m.payload.toString().startsWith('after-death')).length >= 2, { timeoutMs: 10_000, what: 'the queued messages on A' });
    expect(inbox.messages.filter((m) => m.payload.toString().startsWith('after-death')).map((m) => m.payload.toString())).toEqual(['after-death-1', 'after-death-2']);
    await waitFor(async () => (await lookup(kept))?.nodeId === a.nodeId && (await lookup(kept))?.online, { timeoutMs: 10_000, what: 'the client online on A in the lookup' });
    await endClient(again);
  }, 150_000);
});
