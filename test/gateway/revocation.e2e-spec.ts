// Deleting or disabling a credential in the console closes its live sessions on every gateway
// node within seconds and refuses a reconnect at once (no stale credential cache), one test per
// kind of change. Real pieces throughout: the console app, two gateway nodes with their Kafka
// bridges on the shared test Kafka (fleetmq.control), PostgreSQL, and MQTT.js clients.
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { MqttClient } from 'mqtt';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createLogger, loadConfig } from '#config';
import { createMessaging, type Messaging } from '#messaging';
import { createConsoleApp } from '../../apps/console/src/create-console-app.js';
import { startConsoleMessaging } from '../../apps/console/src/messaging/console-messaging.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { clientIdIn, deviceCredentials, signatureCredentials, tokenCredentials, type Credentials } from '../helpers/gateway.js';
import { connackCode, connectClient, endAllClients, waitForClose } from '../helpers/mqtt.js';
import { MASTER_KEY, openTestDataSource, startNode, type TestNode } from './kafka-harness.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'revocation-admin-token-0123456789';
const bearer = { Authorization: `Bearer ${ADMIN}` };
/** "Within seconds": generous for a loaded 2-core machine, far below the 30 s credential cache. */
const CLOSE_WITHIN_MS = 10_000;

describeWithKafka('deletions and revocations close live sessions on every node and refuse reconnects', () => {
  const schema = uniqueSchema('revoke');
  let ds: DataSource;
  let nodes: TestNode[] = [];
  let consoleMessaging: Messaging;
  let app: NestExpressApplication;
  const api = () => request(app.getHttpServer());
  const closeTimes: Record<string, number> = {};

  beforeAll(async () => {
    const brokers = testKafkaBrokers();
    ds = await openTestDataSource(schema);
    nodes = [await startNode({ brokers, dataSource: ds }), await startNode({ brokers, dataSource: ds })];
    const config = loadConfig('console', {
      DATABASE_URL: testDatabaseUrl(),
      FLEETMQ_ADMIN_TOKEN: ADMIN,
      FLEETMQ_MASTER_KEY: MASTER_KEY,
      KAFKA_BROKERS: brokers.join(','),
      LOG_LEVEL: 'silent',
    });
    const logger = createLogger('silent');
    consoleMessaging = createMessaging(config, logger);
    await consoleMessaging.start();
    app = await createConsoleApp({ config, dataSource: ds, messaging: await startConsoleMessaging(consoleMessaging), logger });
    await controlReachesEveryNode();
  }, 90_000);

  afterAll(async () => {
    await endAllClients();
    await app?.close();
    await consoleMessaging?.stop();
    for (const node of nodes) await node.stop();
    await ds?.destroy();
    await dropSchema(schema);
  }, 60_000);

  afterAll(() => {
    process.stderr.write(`[revocation] close after the console answered, ms: ${JSON.stringify(closeTimes)}\n`);
  });

  /** Control groups start at the latest offset: kick probe clients until both nodes act on commands. */
  async function controlReachesEveryNode(): Promise<void> {
    const tenant = await newTenant();
    const probes = await Promise.all(nodes.map(async (node) => ({ id: clientIdIn(), node })));
    const clients = await Promise.all(probes.map(async (p) => connectClient(p.node.url, await signature(tenant, p.id))));
    await waitFor(async () => {
      for (const p of probes) await api().post(`/api/v1/instances/${tenant.id}/clients/${p.id}/kick`).set(bearer);
      return clients.every((c) => !c.connected) || undefined;
    }, { timeoutMs: 60_000, what: 'control commands on both nodes' });
  }

  interface Tenant {
    id: string;
    key: { accessKeyId: string; secretKey: string };
  }

  async function newTenant(): Promise<Tenant> {
    const id = (await api().post('/api/v1/instances').set(bearer).send({ name: `revoke-${Date.now()}-${Math.random()}` }).expect(201)).body.id as string;
    await api().post(`/api/v1/instances/${id}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
    await api().post(`/api/v1/instances/${id}/groups`).set(bearer).send({ groupId: 'GID_dev' }).expect(201);
    const key = (await api().post(`/api/v1/instances/${id}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
    return { id, key };
  }

  async function signature(tenant: Tenant, clientId: string, key = tenant.key): Promise<Credentials> {
    return signatureCredentials(tenant.id, key.accessKeyId, key.secretKey, clientId);
  }

  /** One client per node with the same kind of credential; returns them with their credentials. */
  async function connectOnEveryNode(credentialsFor: (clientId: string) => Promise<Credentials>): Promise<Array<{ client: MqttClient; creds: Credentials; node: TestNode }>> {
    return Promise.all(
      nodes.map(async (node) => {
        const creds = await credentialsFor(clientIdIn());
        return { client: await connectClient(node.url, creds), creds, node };
      }),
    );
  }

  /** Runs the console change; every client must be closed within CLOSE_WITHIN_MS and refused on reconnect. */
  async function expectClosedAndRefused(kind: string, sessions: Awaited<ReturnType<typeof connectOnEveryNode>>, change: () => Promise<unknown>, refusedWith: number[]): Promise<void> {
    const closed = sessions.map((s) => waitForClose(s.client, CLOSE_WITHIN_MS));
    await change();
    const answered = Date.now();
    await Promise.all(closed);
    closeTimes[kind] = Date.now() - answered;
    for (const s of sessions) expect(refusedWith).toContain(await connackCode(s.node.url, s.creds));
  }

  it('instance deleted', async () => {
    const tenant = await newTenant();
    const sessions = await connectOnEveryNode((id) => signature(tenant, id));
    await expectClosedAndRefused('instance-deleted', sessions, () => api().delete(`/api/v1/instances/${tenant.id}`).set(bearer).expect(204), [5]);
  });

  it('access key disabled', async () => {
    const tenant = await newTenant();
    const sessions = await connectOnEveryNode((id) => signature(tenant, id));
    await expectClosedAndRefused('key-disabled', sessions, () => api().patch(`/api/v1/instances/${tenant.id}/access-keys/${tenant.key.accessKeyId}`).set(bearer).send({ enabled: false }).expect(200), [5]);
  });

  it('access key deleted', async () => {
    const tenant = await newTenant();
    const sessions = await connectOnEveryNode((id) => signature(tenant, id));
    await expectClosedAndRefused('key-deleted', sessions, () => api().delete(`/api/v1/instances/${tenant.id}/access-keys/${tenant.key.accessKeyId}`).set(bearer).expect(204), [4]);
  });

  it('token revoked', async () => {
    const tenant = await newTenant();
    const token = (
      await api()
        .post(`/api/v1/instances/${tenant.id}/tokens`)
        .set(bearer)
        .send({ resources: ['telemetry/#'], actions: 'RW', expireTime: Date.now() + 3600_000, accessKeyId: tenant.key.accessKeyId })
        .expect(201)
    ).body.token as string;
    const sessions = await connectOnEveryNode(async (id) => tokenCredentials(tenant.id, tenant.key.accessKeyId, id, `RW|${token}`));
    await expectClosedAndRefused('token-revoked', sessions, () => api().post(`/api/v1/instances/${tenant.id}/tokens/revoke`).set(bearer).send({ token }).expect(200), [5]);
  });

  it('device credential unregistered', async () => {
    const tenant = await newTenant();
    // A device credential belongs to one client ID: one device, connected to the first node.
    const clientId = clientIdIn();
    const dc = (await api().post(`/api/v1/instances/${tenant.id}/device-credentials`).set(bearer).send({ clientId }).expect(201)).body;
    const creds = deviceCredentials(tenant.id, dc.deviceAccessKeyId, dc.deviceAccessKeySecret, clientId);
    const sessions = [{ client: await connectClient(nodes[0]!.url, creds), creds, node: nodes[0]! }];
    await expectClosedAndRefused('credential-revoked', sessions, () => api().delete(`/api/v1/instances/${tenant.id}/device-credentials/${clientId}`).set(bearer).expect(204), [4]);
    // And on the other node, where it never was connected, it is refused as well.
    expect(await connackCode(nodes[1]!.url, creds)).toBe(4);
  });
});
