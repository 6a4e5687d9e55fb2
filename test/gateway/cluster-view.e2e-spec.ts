// Issue 11, cluster view: two standalone gateway processes and a console process on one
// database and the shared Kafka. The console sees both nodes (connections, messages/s), finds
// a client on whichever node holds it, and kicks it there.
import type { MqttClient } from 'mqtt';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { connectClient, endClient, waitForClose } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import { ConsoleProcess, GatewayProcess, QosLoad, createTestDatabase, runTag } from '../reliability/harness.js';

const ADMIN_TOKEN = 'cluster-view-admin-token-0123456789';
const FAST_STATE = { FLEETMQ_HEARTBEAT_MS: '300', FLEETMQ_SESSION_FLUSH_MS: '100', FLEETMQ_DRAIN_WINDOW_MS: '0' };

interface NodeView {
  nodeId: string;
  connections: number;
  messagesInPerSecond: number;
  messagesOutPerSecond: number;
  live: boolean;
}

describeWithKafka('cluster view: GET /api/v1/nodes, client lookup and kick across two gateway processes', () => {
  const brokers = kafkaBrokers()!;
  let db: { url: string; drop(): Promise<void> } | undefined;
  const gateways: GatewayProcess[] = [];
  let consoleProcess: ConsoleProcess | undefined;
  let consoleUrl = '';
  let load: QosLoad | undefined;
  let idle: MqttClient | undefined;

  const api = async (method: string, route: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${consoleUrl}${route}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };
  const nodes = async (): Promise<Map<string, NodeView>> => new Map(((await api('GET', '/api/v1/nodes')).body.items as NodeView[]).map((n) => [n.nodeId, n]));

  beforeAll(async () => {
    db = await createTestDatabase();
    // One after the other: the first one migrates the fresh database.
    for (let i = 0; i < 2; i++) {
      const gw = new GatewayProcess({ databaseUrl: db.url, kafkaBrokers: brokers, env: FAST_STATE });
      gateways.push(gw);
      await gw.start();
    }
    consoleProcess = new ConsoleProcess({ databaseUrl: db.url, kafkaBrokers: brokers, adminToken: ADMIN_TOKEN, env: { FLEETMQ_HEARTBEAT_MS: FAST_STATE.FLEETMQ_HEARTBEAT_MS } });
    await consoleProcess.start();
    consoleUrl = consoleProcess.url;
  }, 180_000);

  afterAll(async () => {
    await load?.end();
    if (idle) await endClient(idle, true);
    consoleProcess?.stop();
    for (const gw of gateways) await gw.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  // Proves: the console lists both nodes as live with the connections and messages/s each holds
  // (load on A only), looks a client up on B and kicks it there through fleetmq.control, and a
  // node that stops leaves the list.
  it('lists both nodes with their connections and rates, finds and kicks a client on the other node', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const tag = runTag('cv');
    load = new QosLoad({ url: a.mqttUrl, clients: 2, tag, window: 8, intervalMs: 10, reconnectPeriod: 0 });
    await load.start();
    const idleId = `${tag}-idle`;
    idle = await connectClient(b.mqttUrl, { clientId: idleId });

    const view = await waitFor(
      async () => {
        const seen = await nodes();
        const [na, nb] = [seen.get(a.nodeId), seen.get(b.nodeId)];
        return na?.live && nb?.live && na.connections === 2 && nb.connections === 1 && na.messagesInPerSecond > 0 ? seen : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'both nodes live with 2 + 1 connections and uplink on A' },
    );
    expect(view.get(b.nodeId)!.messagesInPerSecond).toBe(0);

    const lookup = await api('GET', `/api/v1/instances/default/clients/${idleId}`);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ clientId: idleId, online: true, nodeId: b.nodeId });

    const closed = waitForClose(idle, 15_000);
    expect((await api('POST', `/api/v1/instances/default/clients/${idleId}/kick`)).status).toBe(202);
    await closed;
    await waitFor(async () => (await api('GET', `/api/v1/instances/default/clients/${idleId}`)).body?.online === false, {
      timeoutMs: 10_000,
      what: 'the kicked client offline in the lookup',
    });

    expect(await b.stop('SIGTERM', 30_000)).toBe(0);
    await waitFor(async () => !(await nodes()).get(b.nodeId)?.live, { timeoutMs: 10_000, what: 'the stopped node to leave the live list' });
    expect((await nodes()).get(a.nodeId)?.live).toBe(true);
  }, 120_000);
});
