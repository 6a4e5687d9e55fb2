import type { MqttClient } from 'mqtt';
import { AccessKeyEntity, TokenEntity } from '#domain/persistence';
import { clientIdIn, signatureCredentials, startTestGateway, tokenCredentials, type SeededInstance, type TestGateway } from '../helpers/gateway.js';
import { Inbox, connackCode, connectClient, endAllClients, endClient, publish, subscribe, waitForClose } from '../helpers/mqtt.js';
import { waitFor, quietWindow } from '../helpers/wait.js';

describe('gateway ACL, P2P and instance isolation', () => {
  let gw: TestGateway;
  let a: SeededInstance;
  let b: SeededInstance;

  const device = async (inst: SeededInstance, clientId = clientIdIn(), permission: 'ALL' | 'PUB' | 'SUB' = 'ALL'): Promise<MqttClient> =>
    connectClient(gw.mqttUrl, await gw.seed.signatureClient(inst.id, clientId, permission));

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true } });
    a = await gw.seed.instance({ topics: ['telemetry', 'cmd'] });
    b = await gw.seed.instance({ topics: ['telemetry', 'cmd'] });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  describe('SUBSCRIBE', () => {
    it('grants allowed filters and answers 0x80 for refused ones in the same packet', async () => {
      const client = await device(a);
      expect(await subscribe(client, ['telemetry/#', 'unknown/#', '#', 'cmd/+'], 1)).toEqual([1, 128, 128, 1]);
    });

    it('refuses subscriptions to a PUB-only key and to other clients’ P2P topics', async () => {
      const pubOnly = await device(a, clientIdIn(), 'PUB');
      expect(await subscribe(pubOnly, 'telemetry/#')).toEqual([128]);
      const id = clientIdIn();
      const client = await device(a, id);
      expect(await subscribe(client, [`cmd/p2p/${id}`, `cmd/p2p/${clientIdIn()}`, 'cmd/p2p/+'])).toEqual([1, 128, 128]);
    });
  });

  describe('PUBLISH', () => {
    it('delivers an allowed publish to subscribers of the instance', async () => {
      const sub = await device(a);
      const inbox = new Inbox(sub);
      await subscribe(sub, 'telemetry/#');
      const pub = await device(a);
      await publish(pub, 'telemetry/room1', 'hello', { qos: 1 });
      const got = await inbox.next((m) => m.topic === 'telemetry/room1');
      expect(got.payload.toString()).toBe('hello');
    });

    it('acknowledges and drops a denied publish (FLEETMQ_DENY_ACTION=ignore, the default): nobody receives it', async () => {
      const anon = await connectClient(gw.mqttUrl, { clientId: 'spy-' + Date.now() });
      const anonInbox = new Inbox(anon);
      await subscribe(anon, '#');
      const sub = await device(a);
      const inbox = new Inbox(sub);
      await subscribe(sub, 'telemetry/#');
      const subOnly = await device(a, clientIdIn(), 'SUB');
      await publish(subOnly, 'telemetry/denied', 'x', { qos: 1 }); // PUBACK
      const stranger = await device(a);
      await publish(stranger, 'unknown-parent/x', 'y', { qos: 2 }); // PUBCOMP
      expect([subOnly.connected, stranger.connected]).toEqual([true, true]);
      await inbox.none(() => true, 300);
      await anonInbox.none(() => true, 10);
    });
  });

  describe('P2P', () => {
    it('reaches only the target client, which has not subscribed; # subscribers never see it', async () => {
      const targetId = clientIdIn();
      const target = await device(a, targetId);
      const targetInbox = new Inbox(target);
      const other = await device(a);
      const otherInbox = new Inbox(other);
      await subscribe(other, ['cmd/#', 'telemetry/#']);
      const anonSpy = await connectClient(gw.mqttUrl, { clientId: 'anon-spy' });
      const spyInbox = new Inbox(anonSpy);
      await subscribe(anonSpy, '#');
      const sender = await device(a);
      await publish(sender, `cmd/p2p/${targetId}`, 'for you', { qos: 1, retain: true });
      const got = await targetInbox.next();
      expect(got.topic).toBe(`cmd/p2p/${targetId}`);
      expect(got.payload.toString()).toBe('for you');
      expect(got.packet.retain).toBe(false);
      await otherInbox.none();
      await spyInbox.none(() => true, 10);
      // Not kept as retained either: a new subscriber to the P2P topic gets nothing.
      const late = await device(a, targetId);
      const lateInbox = new Inbox(late);
      await subscribe(late, `cmd/p2p/${targetId}`);
      await lateInbox.none();
    });

    it('does not cross instances: a P2P topic naming a client of another instance reaches nobody', async () => {
      const targetId = clientIdIn();
      const targetInB = await device(b, targetId);
      const inbox = new Inbox(targetInB);
      const senderInA = await device(a);
      await publish(senderInA, `cmd/p2p/${targetId}`, 'wrong instance', { qos: 1 });
      await inbox.none();
    });
  });

  describe('instance isolation', () => {
    it('keeps equal topic names apart, for live, # and retained messages', async () => {
      const subA = await device(a);
      const subB = await device(b);
      const inboxA = new Inbox(subA);
      const inboxB = new Inbox(subB);
      await subscribe(subA, 'telemetry/#');
      await subscribe(subB, 'telemetry/#');
      const pubA = await device(a);
      await publish(pubA, 'telemetry/shared', 'from A', { qos: 1, retain: true });
      expect((await inboxA.next()).payload.toString()).toBe('from A');
      await inboxB.none();

      // Retained: a new subscriber of B sees nothing of A's, one of A sees A's.
      const lateB = await device(b);
      const lateBInbox = new Inbox(lateB);
      await subscribe(lateB, 'telemetry/shared');
      await lateBInbox.none(() => true, 300);
      const lateA = await device(a);
      const lateAInbox = new Inbox(lateA);
      await subscribe(lateA, 'telemetry/shared');
      const retained = await lateAInbox.next();
      expect(retained.payload.toString()).toBe('from A');
      expect(retained.packet.retain).toBe(true);
      expect(retained.topic).toBe('telemetry/shared');
    });

    it('anonymous # in the default instance sees nothing of named instances, and the reverse', async () => {
      const anon = await connectClient(gw.mqttUrl, { clientId: 'anon-hash' });
      const anonInbox = new Inbox(anon);
      await subscribe(anon, '#');
      const pubA = await device(a);
      await publish(pubA, 'telemetry/x', 'named', { qos: 1 });
      await anonInbox.none(() => true, 300);
      const subA = await device(a);
      const inboxA = new Inbox(subA);
      await subscribe(subA, 'telemetry/#');
      const anonPub = await connectClient(gw.mqttUrl, { clientId: 'anon-pub' });
      await publish(anonPub, 'telemetry/x', 'anonymous', { qos: 1 });
      // The anonymous subscriber gets its own instance's message with the client's topic, no prefix.
      const own = await anonInbox.next();
      expect(own.topic).toBe('telemetry/x');
      // (A's retained 'telemetry/shared' from the test above may arrive: it is A's own.)
      await inboxA.none((m) => m.payload.toString() === 'anonymous');
    });

    it('lets the same client ID connect in two instances without taking over', async () => {
      const id = clientIdIn();
      const inA = await device(a, id);
      const inB = await device(b, id);
      await quietWindow(200, 'a takeover of the first connection');
      expect(inA.connected).toBe(true);
      expect(inB.connected).toBe(true);
      expect(gw.gateway.registry.get(a.id, id)).toBeDefined();
      expect(gw.gateway.registry.get(b.id, id)).toBeDefined();
    });
  });

  describe('tokens', () => {
    it('limits publish and subscribe to the token resources', async () => {
      const key = await gw.seed.accessKey(a.id);
      const r = await gw.seed.token(a.id, key.accessKeyId, ['telemetry/room1/#'], 'R');
      const w = await gw.seed.token(a.id, key.accessKeyId, ['telemetry/room1/+'], 'W');
      const client = await connectClient(gw.mqttUrl, tokenCredentials(a.id, key.accessKeyId, clientIdIn(), `R|${r.token}|W|${w.token}`));
      expect(await subscribe(client, ['telemetry/room1/#', 'telemetry/#', 'telemetry/room1/a'])).toEqual([1, 128, 1]);
      const inbox = new Inbox(client);
      await publish(client, 'telemetry/room1/a', 'ok', { qos: 1 });
      await inbox.next((m) => m.payload.toString() === 'ok');
      await subscribe(client, 'telemetry/room1/#');
      // Outside the W resources: acknowledged and dropped (FLEETMQ_DENY_ACTION=ignore).
      await publish(client, 'telemetry/room2/a', 'outside', { qos: 1 });
      await publish(client, 'telemetry/room1/b', 'marker', { qos: 1 });
      await inbox.next((m) => m.payload.toString() === 'marker');
      await inbox.none((m) => m.payload.toString() === 'outside', 50);
      expect(client.connected).toBe(true);
    });

    it('closes the connection when the token expires', async () => {
      const key = await gw.seed.accessKey(a.id);
      const t = await gw.seed.token(a.id, key.accessKeyId, ['telemetry/#'], 'RW', { expiresInMs: 1200 });
      const id = clientIdIn();
      const reasons: string[] = [];
      const off = gw.gateway.events.on('disconnected', (ctx, reason) => {
        if (ctx.clientId === id) reasons.push(reason);
      });
      const client = await connectClient(gw.mqttUrl, tokenCredentials(a.id, key.accessKeyId, id, `RW|${t.token}`));
      const started = Date.now();
      await waitForClose(client, 4000);
      off();
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(reasons).toEqual(['auth-expired']);
    });

    it('closes connections of a revoked token within seconds of the invalidation', async () => {
      const key = await gw.seed.accessKey(a.id);
      const t = await gw.seed.token(a.id, key.accessKeyId, ['telemetry/#'], 'RW');
      const client = await connectClient(gw.mqttUrl, tokenCredentials(a.id, key.accessKeyId, clientIdIn(), `RW|${t.token}`));
      const untouched = await connectClient(gw.mqttUrl, tokenCredentials(a.id, key.accessKeyId, clientIdIn(), `RW|${(await gw.seed.token(a.id, key.accessKeyId, ['telemetry/#'], 'RW')).token}`));
      // Invalidation alone does not close a still-valid token's connection.
      expect(await gw.gateway.credentials.invalidateToken(t.hash)).toBe(0);
      await gw.dataSource.getRepository(TokenEntity).update({ tokenHash: t.hash }, { revokedAt: new Date() });
      const closed = waitForClose(client);
      expect(await gw.gateway.credentials.invalidateToken(t.hash)).toBe(1);
      await closed;
      expect(untouched.connected).toBe(true);
    });
  });

  describe('tokens bounded by their key', () => {
    it('refuses (CONNACK 5) a token whose only action the key lacks: an R token of a PUB key, a W token of a SUB key', async () => {
      const pubKey = await gw.seed.accessKey(a.id, 'PUB');
      const r = await gw.seed.token(a.id, pubKey.accessKeyId, ['telemetry/#'], 'R');
      expect(await connackCode(gw.mqttUrl, tokenCredentials(a.id, pubKey.accessKeyId, clientIdIn(), `R|${r.token}`))).toBe(5);
      const subKey = await gw.seed.accessKey(a.id, 'SUB');
      const w = await gw.seed.token(a.id, subKey.accessKeyId, ['telemetry/#'], 'W');
      expect(await connackCode(gw.mqttUrl, tokenCredentials(a.id, subKey.accessKeyId, clientIdIn(), `W|${w.token}`))).toBe(5);
    });

    it('keeps only the key’s actions of an RW token: a PUB key’s RW token may publish but not subscribe', async () => {
      const pubKey = await gw.seed.accessKey(a.id, 'PUB');
      const rw = await gw.seed.token(a.id, pubKey.accessKeyId, ['telemetry/#'], 'RW');
      const client = await connectClient(gw.mqttUrl, tokenCredentials(a.id, pubKey.accessKeyId, clientIdIn(), `RW|${rw.token}`));
      expect(await subscribe(client, 'telemetry/#')).toEqual([128]);
      await publish(client, 'telemetry/ok', 'w', { qos: 1 });
      expect(client.connected).toBe(true);
    });

    it('closes a token connection when its key loses an action the connection uses', async () => {
      const key = await gw.seed.accessKey(a.id, 'ALL');
      const rw = await gw.seed.token(a.id, key.accessKeyId, ['telemetry/#'], 'RW');
      const client = await connectClient(gw.mqttUrl, tokenCredentials(a.id, key.accessKeyId, clientIdIn(), `RW|${rw.token}`));
      await gw.dataSource.getRepository(AccessKeyEntity).update({ accessKeyId: key.accessKeyId }, { permission: 'PUB' });
      const closed = waitForClose(client);
      expect(await gw.gateway.credentials.invalidateAccessKey(key.accessKeyId)).toBe(1);
      await closed;
    });
  });

  describe('queued messages', () => {
    it('does not hand a session’s queued QoS 1 messages to a connection that may not receive them', async () => {
      const id = clientIdIn();
      const owner = await device(a, id);
      // Persistent session with a QoS 1 subscription, then offline.
      await endClient(owner);
      const session = await connectClient(gw.mqttUrl, { ...(await gw.seed.signatureClient(a.id, id, 'ALL')), clean: false });
      expect(await subscribe(session, 'telemetry/queued/#', 1)).toEqual([1]);
      await endClient(session);
      const pub = await device(a);
      await publish(pub, 'telemetry/queued/1', 'for the owner only', { qos: 1 });

      // A PUB-only key of the same instance takes the session over under the owner's client ID.
      const denied = await gw.gateway.metrics.forwardDenied.get();
      const before = denied.values[0]?.value ?? 0;
      const pubOnly = await gw.seed.accessKey(a.id, 'PUB');
      const thief = await connectClient(gw.mqttUrl, { ...signatureCredentials(a.id, pubOnly.accessKeyId, pubOnly.secret, id), clean: false });
      const inbox = new Inbox(thief);
      // Wait for the gateway to have decided on the queued message, then make sure none arrived.
      await waitFor(async () => ((await gw.gateway.metrics.forwardDenied.get()).values[0]?.value ?? 0) > before, { timeoutMs: 5_000, what: 'the denied forward counted' });
      expect((await gw.gateway.metrics.forwardDenied.get()).values[0]?.value ?? 0).toBeGreaterThan(before);
      await inbox.none(() => true, 200);
    });
  });

  describe.each([
    ['TCP', () => gw.mqttUrl],
    ['WebSocket', () => gw.wsUrl],
  ])('cross-tenant and namespace-escape attempts over %s', (_transport, url) => {
    // Two instances with the same parent topics, the same group and the same client IDs.
    const at = async (inst: SeededInstance, clientId: string): Promise<MqttClient> => connectClient(url(), await gw.seed.signatureClient(inst.id, clientId, 'ALL'));

    it('keeps equal client IDs, groups and topics of two instances apart, P2P included', async () => {
      const shared = clientIdIn();
      const inA = await at(a, shared);
      const inB = await at(b, shared);
      const inboxA = new Inbox(inA);
      const inboxB = new Inbox(inB);
      expect(await subscribe(inA, ['telemetry/#', 'cmd/#'])).toEqual([1, 1]);
      expect(await subscribe(inB, ['telemetry/#', 'cmd/#'])).toEqual([1, 1]);
      const sender = await at(a, clientIdIn());
      await publish(sender, 'telemetry/shared-name', 'a-live', { qos: 1 });
      await publish(sender, `cmd/p2p/${shared}`, 'a-p2p', { qos: 1 });
      await inboxA.next((m) => m.payload.toString() === 'a-live');
      await inboxA.next((m) => m.payload.toString() === 'a-p2p');
      await inboxB.none(() => true, 300);
      expect(inA.connected && inB.connected).toBe(true);
    });

    it('refuses filters that try to leave the namespace, and topics naming another instance reach nobody', async () => {
      const inB = await at(b, clientIdIn());
      const inboxB = new Inbox(inB);
      await subscribe(inB, 'telemetry/#');
      const attacker = await at(a, clientIdIn());
      const escapes = ['#', '+/#', '+/telemetry/#', `${b.id}/telemetry/#`, `${b.id}/#`, '$SYS/#', '$fleetmq/#', '/telemetry/#', '../telemetry/#', `cmd/p2p/+`, 'cmd/p2p/#'];
      expect(await subscribe(attacker, escapes)).toEqual(escapes.map(() => 128));
      // FLEETMQ_DENY_ACTION=ignore (the default): acknowledged, dropped, the connection stays.
      for (const topic of [`${b.id}/telemetry/x`, '$SYS/x', '/telemetry/x']) {
        await publish(attacker, topic, 'escape', { qos: 1 });
        expect(attacker.connected).toBe(true);
      }
      await inboxB.none(() => true, 300);
    });

    it('keeps the anonymous instance sandboxed both ways, whatever topic it names', async () => {
      const anon = await connectClient(url(), { clientId: `anon-${Date.now()}` });
      const anonInbox = new Inbox(anon);
      expect(await subscribe(anon, ['#', `${a.id}/#`, '+/telemetry/#'])).toEqual([1, 1, 1]);
      const inA = await at(a, clientIdIn());
      const inboxA = new Inbox(inA);
      await subscribe(inA, 'telemetry/#');
      await publish(inA, 'telemetry/from-a', 'named', { qos: 1 });
      await inboxA.next((m) => m.payload.toString() === 'named');
      await publish(anon, `${a.id}/telemetry/x`, 'anon-into-a', { qos: 1 });
      await publish(anon, 'telemetry/x', 'anon-plain', { qos: 1 });
      // The anonymous subscriber sees its own messages (so delivery works) and nothing of A's.
      await anonInbox.next((m) => m.payload.toString() === 'anon-plain');
      expect(anonInbox.messages.some((m) => m.payload.toString() === 'named')).toBe(false);
      await inboxA.none((m) => m.payload.toString().startsWith('anon'), 300);
    });
  });
});
