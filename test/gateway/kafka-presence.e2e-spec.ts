import mqtt from 'mqtt';
import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  ClientSessionEntity,
  GatewayNodeEntity,
  InstanceTrafficEntity,
  TypeOrmAccessKeyRepository,
  TypeOrmDeviceCredentialRepository,
} from '#domain/persistence';
import { SecretBox, computeSignature, parseMasterKey } from '#auth';
import { CONTROL_TOPIC, PRESENCE_TOPIC, buildControlRecord, parsePresenceRecord, type ControlCommand, type PresenceEvent } from '#messaging';
import { useKafkaGatewayFixture } from './kafka-gateway-fixture.js';
import { MASTER_KEY, RecordCollector, createTenant, startNode, type TestNode } from './kafka-harness.js';
import { waitFor, quietWindow } from '../helpers/wait.js';
import { describeWithKafka } from '../helpers/kafka.js';

describeWithKafka('presence, client_sessions and control (real Kafka, PostgreSQL, MQTT clients)', () => {
  const fixture = useKafkaGatewayFixture({
    schemaPrefix: 'kpr',
    markerPrefix: 'p',
    producer: true,
    collect: { topic: PRESENCE_TOPIC, select: (m, marker) => (m.key?.toString() ?? '').includes(marker) },
  });
  const { schema, brokers, marker, clients, connect } = fixture;
  let ds: DataSource;
  let node: TestNode;
  let producer: Producer;
  let presence: RecordCollector;
  beforeAll(() => {
    ({ ds, node, producer, collector: presence } = fixture);
  });

  function eventsOf(instanceId: string, clientId: string): PresenceEvent[] {
    return presence.records
      .filter((r) => r.message.key?.toString() === `${instanceId}/${clientId}`)
      .map((r) => {
        const parsed = parsePresenceRecord(r.message);
        if (!parsed.ok) throw parsed.error;
        return parsed.value;
      });
  }

  async function waitEvents(instanceId: string, clientId: string, count: number): Promise<PresenceEvent[]> {
    return waitFor(() => {
      const e = eventsOf(instanceId, clientId);
      return e.length >= count ? e : undefined;
    }, { timeoutMs: 20_000, what: `${count} presence events of ${clientId}` });
  }

  const session = (instanceId: string, clientId: string) => ds.getRepository(ClientSessionEntity).findOneBy({ instanceId, clientId });

  /** The control group starts at the latest offset when it joins: repeat the command until it took effect. */
  async function controlUntil(command: ControlCommand, effect: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!effect()) {
      if (Date.now() > deadline) throw new Error(`control command ${command.type} had no effect`);
      await producer.send({ topic: CONTROL_TOPIC, messages: [buildControlRecord(command)] });
      await waitFor(() => effect() || undefined, { timeoutMs: 1_000 }).catch(() => undefined);
    }
  }

  it('publishes connect/disconnect with a growing epoch and the reason, and keeps the session row', async () => {
    const clientId = `c-${marker}`;
    const c1 = await connect(clientId);
    await c1.subscribeAsync({ 'sensors/+/cmd': { qos: 1 }, 'alerts/#': { qos: 0 } });
    const row = await waitFor(async () => {
      const r = await session('default', clientId);
      return r !== null && r.subscriptions.length === 2 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'session row with subscriptions' });
    expect(row.online).toBe(true);
    expect(row.nodeId).toBe(node.nodeId);
    expect(row.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(row.subscriptions).toEqual(expect.arrayContaining([{ topic: 'sensors/+/cmd', qos: 1 }, { topic: 'alerts/#', qos: 0 }]));
    await c1.unsubscribeAsync('alerts/#');
    await waitFor(async () => ((await session('default', clientId))?.subscriptions.length === 1 ? true : undefined), { timeoutMs: 10_000, what: 'unsubscribe written' });

    await c1.endAsync();
    const [connect1, disconnect1] = await waitEvents('default', clientId, 2);
    expect(connect1).toMatchObject({ instanceId: 'default', clientId, event: 'connect', reason: null, node: node.nodeId, epoch: row.epoch });
    expect(disconnect1).toMatchObject({ event: 'disconnect', reason: 'normal', epoch: row.epoch });
    expect(disconnect1!.ts).toBeGreaterThanOrEqual(connect1!.ts);
    const offline = await waitFor(async () => {
      const r = await session('default', clientId);
      return r?.online === false ? r : undefined;
    }, { timeoutMs: 10_000, what: 'session offline' });
    expect(offline.disconnectedAt).not.toBeNull();

    await connect(clientId);
    const events = await waitEvents('default', clientId, 3);
    expect(events[2]).toMatchObject({ event: 'connect', epoch: row.epoch + 1 });
    await waitFor(async () => ((await session('default', clientId))?.online ? true : undefined), { timeoutMs: 10_000, what: 'online again' });
  });

  it('reports a takeover: the old connection ends with reason takeover, the new one has the next epoch', async () => {
    const clientId = `t-${marker}`;
    const first = await connect(clientId);
    const [c1] = await waitEvents('default', clientId, 1);
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    await connect(clientId);
    await closed;
    const events = await waitEvents('default', clientId, 3);
    const disconnect = events.find((e) => e.event === 'disconnect')!;
    const second = events.filter((e) => e.event === 'connect')[1]!;
    expect(disconnect).toMatchObject({ reason: 'takeover', epoch: c1!.epoch });
    expect(second.epoch).toBe(c1!.epoch + 1);
    // The row belongs to the newer connection: the old one's offline write must not win.
    await quietWindow(300, 'a late offline write of the replaced connection');
    expect(await session('default', clientId)).toMatchObject({ online: true, epoch: second.epoch });
  });

  it('keeps the subscriptions of a persistent session (clean=false) across reconnects', async () => {
    const clientId = `ps-${marker}`;
    const c1 = await connect(clientId, { clean: false });
    await c1.subscribeAsync('jobs/+', { qos: 1 });
    await waitFor(async () => ((await session('default', clientId))?.subscriptions.length === 1 ? true : undefined), { timeoutMs: 10_000, what: 'subscription written' });
    await c1.endAsync();
    await waitFor(async () => ((await session('default', clientId))?.online === false ? true : undefined), { timeoutMs: 10_000, what: 'offline' });
    // Forget the stored list: after the reconnect it must come from the broker's restored session.
    await ds.query(`UPDATE ${schema}.client_sessions SET subscriptions = '[]' WHERE client_id = $1`, [clientId]);
    await connect(clientId, { clean: false });
    const row = await waitFor(async () => {
      const r = await session('default', clientId);
      return r?.online && r.epoch >= 2 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'online again' });
    // Restored by the broker without a SUBSCRIBE: the row still lists it.
    await quietWindow(300, 'a write that empties the restored subscriptions');
    expect((await session('default', clientId))!.subscriptions).toEqual([{ topic: 'jobs/+', qos: 1 }]);
    expect(row.epoch).toBeGreaterThanOrEqual(2);
  });

  it('kicks a client through fleetmq.control (presence reason kicked)', async () => {
    const clientId = `k-${marker}`;
    const c = await connect(clientId);
    let closed = false;
    c.on('close', () => (closed = true));
    await controlUntil({ type: 'kick', instanceId: 'default', clientId }, () => closed);
    const events = await waitEvents('default', clientId, 2);
    expect(events[1]).toMatchObject({ event: 'disconnect', reason: 'kicked', epoch: events[0]!.epoch });
    expect(node.gateway.registry.get('default', clientId)).toBeUndefined();
  });

  it('closes the connections of a disabled access key (key-disabled, reason auth-expired)', async () => {
    const tenant = await createTenant(ds);
    const clientId = `${tenant.groupId}@@@k${marker}`;
    const c = await connect(clientId, tenant.credentials(clientId));
    let closed = false;
    c.on('close', () => (closed = true));
    await new TypeOrmAccessKeyRepository(ds).update(tenant.accessKeyId, { enabled: false });
    await controlUntil({ type: 'key-disabled', instanceId: tenant.instanceId, accessKeyId: tenant.accessKeyId }, () => closed);
    const events = await waitEvents(tenant.instanceId, clientId, 2);
    expect(events[1]).toMatchObject({ event: 'disconnect', reason: 'auth-expired' });
  });

  it('closes a device whose credential was revoked (credential-revoked by client ID, reason auth-expired)', async () => {
    const tenant = await createTenant(ds);
    const clientId = `${tenant.groupId}@@@dc${marker}`;
    const deviceKeyId = `DK${marker}`.slice(0, 40);
    const secret = 'device-secret-' + marker;
    const devices = new TypeOrmDeviceCredentialRepository(ds);
    await devices.create({ instanceId: tenant.instanceId, clientId, deviceAccessKeyId: deviceKeyId, secretEncrypted: new SecretBox(parseMasterKey(MASTER_KEY)).encrypt(secret) });
    const c = await connect(clientId, { username: `DeviceCredential|${deviceKeyId}|${tenant.instanceId}`, password: computeSignature(secret, clientId) });
    let closed = false;
    c.on('close', () => (closed = true));
    await devices.delete(tenant.instanceId, clientId);
    // No accessKeyId in the command: the bridge finds the device key of the connected client.
    await controlUntil({ type: 'credential-revoked', instanceId: tenant.instanceId, clientId }, () => closed);
    const events = await waitEvents(tenant.instanceId, clientId, 2);
    expect(events[1]).toMatchObject({ event: 'disconnect', reason: 'auth-expired' });
  });

  it('writes the node heartbeat and per-instance traffic rows', async () => {
    const clientId = `tr-${marker}`;
    const c = await connect(clientId);
    for (let i = 0; i < 5; i++) await c.publishAsync('traffic/x', String(i), { qos: 1 });
    const nodeRow = await waitFor(async () => {
      const r = await ds.getRepository(GatewayNodeEntity).findOneBy({ nodeId: node.nodeId });
      return r !== null && r.connections >= 1 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'gateway_nodes row' });
    expect(nodeRow.mqttPort).toBe(node.port);
    expect(Date.now() - nodeRow.heartbeatAt.getTime()).toBeLessThan(5_000);
    const traffic = await waitFor(async () => {
      const r = await ds.getRepository(InstanceTrafficEntity).findOneBy({ instanceId: 'default', nodeId: node.nodeId });
      return r !== null && r.messagesIn >= 5 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'instance_traffic row' });
    expect(traffic.connections).toBeGreaterThanOrEqual(1);
  });

  it('marks the sessions of a node whose heartbeat stopped offline (sweep by a live node)', async () => {
    const dead = `dead-${marker}`;
    await ds.query(`INSERT INTO ${schema}.gateway_nodes (node_id, started_at, heartbeat_at, mqtt_port) VALUES ($1, now(), now() - interval '1 hour', 1)`, [dead]);
    await ds.query(
      `INSERT INTO ${schema}.client_sessions (instance_id, client_id, node_id, connected_since, online, epoch) VALUES ('default', $1, $2, now(), true, 4)`,
      [`z-${marker}`, dead],
    );
    const row = await waitFor(async () => {
      const r = await session('default', `z-${marker}`);
      return r?.online === false ? r : undefined;
    }, { timeoutMs: 10_000, what: 'swept session' });
    expect(row.epoch).toBe(4);
  });

  it('marks its own sessions offline and leaves the node list on graceful shutdown', async () => {
    const second = await startNode({ brokers, dataSource: ds });
    const clientId = `g-${marker}`;
    const c = await mqtt.connectAsync(second.url, { clientId, reconnectPeriod: 0 });
    clients.push(c);
    await waitFor(async () => ((await session('default', clientId))?.online ? true : undefined), { timeoutMs: 10_000, what: 'online on the second node' });
    await second.stop();
    expect(await session('default', clientId)).toMatchObject({ online: false, nodeId: second.nodeId });
    expect(await ds.getRepository(GatewayNodeEntity).findOneBy({ nodeId: second.nodeId })).toBeNull();
    const events = await waitEvents('default', clientId, 2);
    expect(events.map((e) => e.event)).toEqual(['connect', 'disconnect']);
  }, 60_000);
});
