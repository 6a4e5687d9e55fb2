import request from 'supertest';
import { ClientSessionEntity, GatewayNodeEntity, InstanceTrafficEntity, RuleCounterEntity } from '#domain/persistence';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

describe('console: rules, clients, messages, stats, nodes (real PostgreSQL)', () => {
  let t: ConsoleTestApp;
  let instanceId: string;
  let I: string;
  const api = () => request(t.server);
  const fields = (res: request.Response): string[] => (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();

  beforeAll(async () => {
    t = await startConsole('crout', { FLEETMQ_MAX_PAYLOAD_BYTES: '1024', FLEETMQ_HEARTBEAT_MS: '1000' });
    instanceId = (await api().post('/api/v1/instances').set(bearer).send({ name: 'routing' }).expect(201)).body.id;
    I = `/api/v1/instances/${instanceId}`;
    await api().post(`${I}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
    await api().post(`${I}/topics`).set(bearer).send({ name: 'cmd' }).expect(201);
    await api().post(`${I}/groups`).set(bearer).send({ groupId: 'GID_sensors' }).expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('rules', () => {
    it('creates an outflow rule with defaults, reads, updates, lists and deletes it (rules-changed each time)', async () => {
      t.messaging.control.length = 0;
      const created = await api()
        .post(`${I}/rules`)
        .set(bearer)
        .send({ name: 'up', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: 'device-data' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        instanceId,
        name: 'up',
        kind: 'outflow',
        enabled: true,
        source: { topicFilter: 'telemetry/#' },
        target: { kafkaTopic: 'device-data', keyStrategy: 'clientId', format: 'raw' },
      });
      const ruleId = created.body.id as string;
      expect((await api().get(`${I}/rules/${ruleId}`).set(bearer).expect(200)).body.name).toBe('up');

      const patched = await api().patch(`${I}/rules/${ruleId}`).set(bearer).send({ enabled: false, target: { kafkaTopic: 'device-json', format: 'json' } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ enabled: false, target: { kafkaTopic: 'device-json', format: 'json', payloadEncoding: 'base64', keyStrategy: 'clientId' } });

      const list = await api().get(`${I}/rules`).set(bearer).expect(200);
      expect(list.body.items.map((r: { id: string }) => r.id)).toContain(ruleId);

      await api().delete(`${I}/rules/${ruleId}`).set(bearer).expect(204);
      expect((await api().get(`${I}/rules/${ruleId}`).set(bearer)).status).toBe(404);
      expect(t.messaging.control).toEqual([
        { type: 'rules-changed', instanceId, ruleId },
        { type: 'rules-changed', instanceId, ruleId },
        { type: 'rules-changed', instanceId, ruleId },
      ]);
    });

    it('creates inflow and status rules', async () => {
      const inflow = await api()
        .post(`${I}/rules`)
        .set(bearer)
        .send({ name: 'down', kind: 'inflow', source: { kafkaTopic: 'commands' }, target: { topicTemplate: 'cmd/${key}/${header.kind}' } });
      expect(inflow.status).toBe(201);
      expect(inflow.body.target).toEqual({ topicTemplate: 'cmd/${key}/${header.kind}', qos: 1, retain: false });
      const status = await api()
        .post(`${I}/rules`)
        .set(bearer)
        .send({ name: 'presence', kind: 'status', source: { groupId: 'GID_sensors' }, target: { kafkaTopic: 'presence', keyStrategy: 'none' } });
      expect(status.status).toBe(201);
      expect(status.body.source).toEqual({ groupId: 'GID_sensors' });
    });

    it('validates per kind, naming the fields', async () => {
      const outflow = await api()
        .post(`${I}/rules`)
        .set(bearer)
        .send({ name: 'bad1', kind: 'outflow', source: { topicFilter: 'nope/#' }, target: { kafkaTopic: 'fleetmq.uplink', keyStrategy: 'x', payloadEncoding: 'utf8', extra: 1 } });
      expect(outflow.status).toBe(400);
      expect(fields(outflow)).toEqual(['source.topicFilter', 'target.extra', 'target.kafkaTopic', 'target.keyStrategy', 'target.payloadEncoding']);

      const inflow = await api().post(`${I}/rules`).set(bearer).send({ name: 'bad2', kind: 'inflow', source: { kafkaTopic: 'bad topic' }, target: { topicTemplate: '${key}/x', qos: 2 } });
      expect(inflow.status).toBe(400);
      expect(fields(inflow)).toEqual(['source.kafkaTopic', 'target.qos', 'target.topicTemplate']);

      const placeholder = await api().post(`${I}/rules`).set(bearer).send({ name: 'bad3', kind: 'inflow', source: { kafkaTopic: 'k' }, target: { topicTemplate: 'cmd/${value}' } });
      expect(fields(placeholder)).toEqual(['target.topicTemplate']);
      const p2pStatus = await api().post(`${I}/rules`).set(bearer).send({ name: 'bad4', kind: 'inflow', source: { kafkaTopic: 'k' }, target: { topicTemplate: 'cmd/p2p/${key}/status' } });
      expect(p2pStatus.status).toBe(400);
      expect(fields(p2pStatus)).toEqual(['target.topicTemplate']);

      const status = await api().post(`${I}/rules`).set(bearer).send({ name: 'bad4', kind: 'status', source: { groupId: 'GID_unknown' }, target: { kafkaTopic: 'p' } });
      expect(status.status).toBe(400);
      expect(fields(status)).toEqual(['source.groupId']);

      const kind = await api().post(`${I}/rules`).set(bearer).send({ name: 'bad5', kind: 'sideways', source: 'x', target: {} });
      expect(fields(kind)).toEqual(['kind', 'source']);
    });

    it('answers 409 to a duplicate name and 404 to an unknown or malformed rule ID', async () => {
      const body = { name: 'same', kind: 'outflow', source: { topicFilter: 'telemetry/+' }, target: { kafkaTopic: 't1' } };
      await api().post(`${I}/rules`).set(bearer).send(body).expect(201);
      expect((await api().post(`${I}/rules`).set(bearer).send(body)).status).toBe(409);
      expect((await api().get(`${I}/rules/00000000-0000-0000-0000-000000000000`).set(bearer)).status).toBe(404);
      expect((await api().get(`${I}/rules/not-a-uuid`).set(bearer)).status).toBe(404);
      expect((await api().get(`${I}/rules/not-a-uuid/stats`).set(bearer)).status).toBe(404);
    });

    it('sums the counters of every router', async () => {
      const rule = (await api().post(`${I}/rules`).set(bearer).send({ name: 'counted', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: 'c' } }).expect(201)).body;
      const empty = await api().get(`${I}/rules/${rule.id}/stats`).set(bearer).expect(200);
      expect(empty.body).toEqual({ matched: 0, routed: 0, failed: 0 });
      const counters = t.dataSource.getRepository(RuleCounterEntity);
      await counters.insert({ ruleId: rule.id, routerId: 'r1', matched: 10, routed: 9, failed: 1, updatedAt: new Date() });
      await counters.insert({ ruleId: rule.id, routerId: 'r2', matched: 5, routed: 5, failed: 0, updatedAt: new Date() });
      const stats = await api().get(`${I}/rules/${rule.id}/stats`).set(bearer).expect(200);
      expect(stats.body).toEqual({ matched: 15, routed: 14, failed: 1 });
    });
  });

  describe('clients', () => {
    it('looks up a session as the gateway wrote it, 404 when never seen', async () => {
      const since = new Date('2026-01-02T03:04:05.000Z');
      await t.dataSource.getRepository(ClientSessionEntity).insert({
        instanceId, clientId: 'GID_sensors@@@d1', nodeId: 'node-a', remoteAddress: '10.0.0.7:5000', connectedSince: since,
        disconnectedAt: null, subscriptions: [{ topic: 'cmd/#', qos: 1 }], online: true, epoch: 3, updatedAt: new Date(),
      });
      const res = await api().get(`${I}/clients/${encodeURIComponent('GID_sensors@@@d1')}`).set(bearer).expect(200);
      expect(res.body).toEqual({
        clientId: 'GID_sensors@@@d1', online: true, nodeId: 'node-a', remoteAddress: '10.0.0.7:5000',
        connectedSince: since.toISOString(), disconnectedAt: null, subscriptions: [{ topic: 'cmd/#', qos: 1 }], epoch: 3,
      });
      expect((await api().get(`${I}/clients/GID_sensors@@@never`).set(bearer)).status).toBe(404);
    });

    it('asks the gateways to kick a client (202, control kick)', async () => {
      t.messaging.control.length = 0;
      await api().post(`${I}/clients/GID_sensors@@@d1/kick`).set(bearer).expect(202);
      expect(t.messaging.control).toEqual([{ type: 'kick', instanceId, clientId: 'GID_sensors@@@d1' }]);
    });

    it('answers 503 when the kick cannot be published', async () => {
      t.messaging.failWith = new Error('kafka down');
      try {
        const res = await api().post(`${I}/clients/GID_sensors@@@d1/kick`).set(bearer);
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      } finally {
        t.messaging.failWith = null;
      }
    });
  });

  describe('messages', () => {
    it('sends one message (202 with msgId) to the downlink port', async () => {
      t.messaging.downlink.length = 0;
      const res = await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/GID_sensors/reboot', payload: 'now', retain: false });
      expect(res.status).toBe(202);
      expect(res.body.msgId).toEqual(expect.any(String));
      expect(t.messaging.downlink).toHaveLength(1);
      const sent = t.messaging.downlink[0]!;
      expect(sent).toMatchObject({ instanceId, topic: 'cmd/GID_sensors/reboot', qos: 1, retain: false, msgId: res.body.msgId });
      expect(sent.payload.toString('utf8')).toBe('now');
      expect(sent.targetClientId).toBeUndefined();
    });

    it('sends a base64 P2P message', async () => {
      t.messaging.downlink.length = 0;
      const payload = Buffer.from([0, 1, 2, 255]);
      await api()
        .post(`${I}/messages`)
        .set(bearer)
        .send({ topic: 'cmd/p2p/GID_sensors@@@d1', payload: payload.toString('base64'), encoding: 'base64', qos: 0 })
        .expect(202);
      expect(t.messaging.downlink[0]).toMatchObject({ qos: 0, targetClientId: 'GID_sensors@@@d1' });
      expect(t.messaging.downlink[0]!.payload.equals(payload)).toBe(true);
    });

    it('validates topic, parent topic, payload size, encoding and client ID', async () => {
      const res = await api().post(`${I}/messages`).set(bearer).send({ topic: 'unknown/x', payload: 'x'.repeat(1025), clientId: 'nobody', qos: 3 });
      expect(res.status).toBe(400);
      expect(fields(res)).toEqual(['qos']);
      const svc = await api().post(`${I}/messages`).set(bearer).send({ topic: 'unknown/x', payload: 'x'.repeat(1025), clientId: 'nobody' });
      expect(fields(svc)).toEqual(['clientId', 'payload', 'topic']);
      expect(fields(await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/+', payload: 'x' }))).toEqual(['topic']);
      // P2P is the topic's: a clientId may only repeat the client a `<parent>/p2p/<clientId>` topic names.
      const contradicting = await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/p2p/GID_sensors@@@d1', payload: 'x', clientId: 'GID_sensors@@@d2' });
      expect(contradicting.status).toBe(400);
      expect(fields(contradicting)).toEqual(['clientId']);
      expect(fields(await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/direct', payload: 'x', clientId: 'GID_sensors@@@d1' }))).toEqual(['clientId']);
      expect(fields(await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/p2p/GID_sensors@@@d1/x', payload: 'x' }))).toEqual(['topic']);
      expect(fields(await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/a', payload: '***', encoding: 'base64' }))).toEqual(['payload']);
    });

    it('lets the anonymous default instance use any topic', async () => {
      await api().post('/api/v1/instances/default/messages').set(bearer).send({ topic: 'anything/goes', payload: 'x' }).expect(202);
    });

    it('sends a batch all-or-nothing', async () => {
      t.messaging.downlink.length = 0;
      const ok = await api()
        .post(`${I}/messages/batch`)
        .set(bearer)
        .send({ messages: [{ topic: 'cmd/a', payload: '1' }, { topic: 'cmd/b', payload: '2', qos: 2 }] });
      expect(ok.status).toBe(202);
      expect(ok.body.msgIds).toHaveLength(2);
      expect(t.messaging.downlink.map((m) => m.topic)).toEqual(['cmd/a', 'cmd/b']);

      t.messaging.downlink.length = 0;
      const bad = await api()
        .post(`${I}/messages/batch`)
        .set(bearer)
        .send({ messages: [{ topic: 'cmd/a', payload: '1' }, { topic: 'nope/b', payload: '2' }, { topic: 'cmd/c' }] });
      expect(bad.status).toBe(400);
      expect(fields(bad)).toEqual(['messages.2.payload']);
      const bad2 = await api().post(`${I}/messages/batch`).set(bearer).send({ messages: [{ topic: 'cmd/a', payload: '1' }, { topic: 'nope/b', payload: '2' }] });
      expect(fields(bad2)).toEqual(['messages.1.topic']);
      expect(t.messaging.downlink).toHaveLength(0);
      expect(fields(await api().post(`${I}/messages/batch`).set(bearer).send({ messages: [] }))).toEqual(['messages']);
    });

    it('answers 503 when Kafka does not take the messages', async () => {
      t.messaging.failWith = new Error('kafka down');
      try {
        expect((await api().post(`${I}/messages`).set(bearer).send({ topic: 'cmd/a', payload: '1' })).status).toBe(503);
      } finally {
        t.messaging.failWith = null;
      }
    });
  });

  describe('stats and nodes', () => {
    it('counts online sessions and sums fresh traffic rates', async () => {
      const sessions = t.dataSource.getRepository(ClientSessionEntity);
      const base = { instanceId, nodeId: 'node-a', remoteAddress: '', connectedSince: new Date(), disconnectedAt: null, subscriptions: [], epoch: 1, updatedAt: new Date() };
      await sessions.insert({ ...base, clientId: 'GID_sensors@@@d2', online: true });
      await sessions.insert({ ...base, clientId: 'GID_sensors@@@d3', online: false });
      const traffic = t.dataSource.getRepository(InstanceTrafficEntity);
      await traffic.insert({ instanceId, nodeId: 'node-a', messagesIn: 100, messagesOut: 10, rateIn: 5, rateOut: 1, connections: 2, updatedAt: new Date() });
      await traffic.insert({ instanceId, nodeId: 'node-b', messagesIn: 50, messagesOut: 5, rateIn: 2.5, rateOut: 0.5, connections: 0, updatedAt: new Date() });
      await traffic.insert({ instanceId, nodeId: 'node-dead', messagesIn: 7, messagesOut: 0, rateIn: 99, rateOut: 99, connections: 0, updatedAt: new Date(Date.now() - 60_000) });
      const res = await api().get(`${I}/stats`).set(bearer).expect(200);
      // d1 (clients test) and d2 are online.
      expect(res.body).toEqual({ connections: 2, messagesInPerSecond: 7.5, messagesOutPerSecond: 1.5, messagesInTotal: 157, messagesOutTotal: 15 });
    });

    it('lists gateway nodes with liveness from the heartbeat', async () => {
      const nodes = t.dataSource.getRepository(GatewayNodeEntity);
      await nodes.insert({ nodeId: 'node-a', startedAt: new Date(), heartbeatAt: new Date(), mqttPort: 1884, connections: 2 });
      await nodes.insert({ nodeId: 'node-old', startedAt: new Date(), heartbeatAt: new Date(Date.now() - 10_000), mqttPort: 1885, connections: 0 });
      const res = await api().get('/api/v1/nodes').set(bearer).expect(200);
      expect(res.body.items.map((n: { nodeId: string; live: boolean }) => [n.nodeId, n.live])).toEqual([
        ['node-a', true],
        ['node-old', false],
      ]);
      expect((await api().get('/api/v1/nodes')).status).toBe(401);
    });

    it("gives each node the messages/s of its fresh traffic rows, summed over instances", async () => {
      await t.dataSource.getRepository(GatewayNodeEntity).insert({ nodeId: 'node-rates', startedAt: new Date(), heartbeatAt: new Date(), mqttPort: 1886, connections: 3 });
      const traffic = t.dataSource.getRepository(InstanceTrafficEntity);
      await traffic.insert({ instanceId, nodeId: 'node-rates', messagesIn: 10, messagesOut: 1, rateIn: 4, rateOut: 1, connections: 2, updatedAt: new Date() });
      await traffic.insert({ instanceId: 'default', nodeId: 'node-rates', messagesIn: 10, messagesOut: 1, rateIn: 2.5, rateOut: 0.5, connections: 1, updatedAt: new Date() });
      await traffic.insert({ instanceId: 'default', nodeId: 'node-old', messagesIn: 1, messagesOut: 1, rateIn: 50, rateOut: 50, connections: 0, updatedAt: new Date(Date.now() - 60_000) });
      const res = await api().get('/api/v1/nodes').set(bearer).expect(200);
      const byId = new Map(res.body.items.map((n: { nodeId: string }) => [n.nodeId, n]));
      expect(byId.get('node-rates')).toMatchObject({ connections: 3, messagesInPerSecond: 6.5, messagesOutPerSecond: 1.5, live: true });
      // A stale traffic row is no rate.
      expect(byId.get('node-old')).toMatchObject({ messagesInPerSecond: 0, messagesOutPerSecond: 0, live: false });
    });
  });
});
