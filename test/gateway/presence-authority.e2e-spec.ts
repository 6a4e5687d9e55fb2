// Issue 11, one presence authority: two standalone gateway processes and a console process on
// a private redis-server (FLEETMQ_SESSION_STORE=redis), one database and the shared Kafka. The
// console's lookup names the node the Redis presence directory names; when a node dies
// (SIGKILL) its clients stop being routed to it: a QoS 1 P2P message to its persistent client
// is queued and delivered when the client reconnects to the surviving node, and one to its clean
// client is counted absent.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { buildDownlinkRecord, DOWNLINK_TOPIC } from '#messaging';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { connectClient, endAllClients, endClient, Inbox } from '../helpers/mqtt.js';
import { describeWithRedisServer, redisServerMissing, TestRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { GatewayProcess, RELIABILITY_MASTER_KEY, createTestDatabase, freePort, runTag } from '../reliability/harness.js';
import { rawProducer, testKafka } from './kafka-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
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
  let consoleChild: ChildProcess | undefined;
  let consoleLog = '';
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
    const port = await freePort();
    consoleUrl = `http://127.0.0.1:${port}`;
    consoleChild = spawn(process.execPath, [path.join(ROOT, 'dist/apps/console/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: db.url,
        KAFKA_BROKERS: brokers.join(','),
        FLEETMQ_MASTER_KEY: RELIABILITY_MASTER_KEY,
        FLEETMQ_ADMIN_TOKEN: ADMIN_TOKEN,
        FLEETMQ_BIND_HOST: '127.0.0.1',
        FLEETMQ_HTTP_PORT: String(port),
        FLEETMQ_NODE_ID: runTag('console-'),
        FLEETMQ_SESSION_STORE: 'redis',
        REDIS_URL: redis.url,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => void (consoleLog = (consoleLog + chunk.toString()).slice(-10000));
    consoleChild.stdout!.on('data', keep);
    consoleChild.stderr!.on('data', keep);
    producer = await rawProducer(testKafka(brokers));
    await waitFor(async () => (await fetch(`${consoleUrl}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: () => `console readiness:\n${consoleLog}`,
    });
  }, 180_000);

  afterAll(async () => {
    await endAllClients();
    await producer?.disconnect();
    consoleChild?.kill('SIGKILL');
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

    const again = await connectClient(a.mqttUrl, { clientId: kept, clean: false, reconnectPeriod: 0 });
    const inbox = new Inbox(again);
    await waitFor(() => inbox.messages.filter((m) => m.payload.toString().startsWith('after-death')).length >= 2, { timeoutMs: 10_000, what: 'the queued messages on A' });
    expect(inbox.messages.filter((m) => m.payload.toString().startsWith('after-death')).map((m) => m.payload.toString())).toEqual(['after-death-1', 'after-death-2']);
    await waitFor(async () => (await lookup(kept))?.nodeId === a.nodeId && (await lookup(kept))?.online, { timeoutMs: 10_000, what: 'the client online on A in the lookup' });
    await endClient(again);
  }, 150_000);
});
