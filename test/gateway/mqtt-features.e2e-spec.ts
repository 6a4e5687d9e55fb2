import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import type { ClientContext, DisconnectReason, PublishForwarder, UplinkPublish } from '../../apps/gateway/src/index.js';
import { clientIdIn, startTestGateway, type Credentials, type SeededInstance, type TestGateway } from '../helpers/gateway.js';
import { Inbox, RawSocket, connackReturnCode, connectClient, connectInbox, connectPacket, endAllClients, endClient, publish, subscribe, waitForClose } from '../helpers/mqtt.js';
import { waitFor, quietWindow } from '../helpers/wait.js';

const run = promisify(execFile);

/** Records what reaches the forwarder, and can hold or refuse acknowledgements. */
class RecordingForwarder implements PublishForwarder {
  readonly seen: Array<{ ctx: ClientContext; packet: UplinkPublish }> = [];
  hold = false;
  refuse = false;
  readonly held: Array<() => void> = [];

  forward(ctx: ClientContext, packet: UplinkPublish, done: (err?: Error | null) => void): void {
    this.seen.push({ ctx, packet });
    if (this.refuse) return done(new Error('kafka unavailable'));
    if (this.hold) this.held.push(() => done());
    else done();
  }
}

describe('gateway MQTT behaviour through the hooks', () => {
  let gw: TestGateway;
  let inst: SeededInstance;
  const forwarder = new RecordingForwarder();
  const creds = (clientId = clientIdIn()): Promise<Credentials> => gw.seed.signatureClient(inst.id, clientId);
  const device = async (clientId = clientIdIn(), extra: Record<string, unknown> = {}): Promise<MqttClient> =>
    connectClient(gw.mqttUrl, { ...(await creds(clientId)), ...extra });
  /** A persistent session subscribed to cmd/# at QoS 1, left offline. */
  const offlineSession = async (clientId: string): Promise<void> => {
    const first = await device(clientId, { clean: false });
    await subscribe(first, 'cmd/#', 1);
    await endClient(first);
    await waitFor(() => gw.gateway.registry.get(inst.id, clientId) === undefined, { what: 'the persistent session offline' });
  };

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true }, forwarder });
    inst = await gw.seed.instance({ topics: ['telemetry', 'cmd', 'status'] });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });
  beforeEach(() => {
    forwarder.hold = false;
    forwarder.refuse = false;
  });

  it('delivers QoS 0, 1 and 2 end to end and hands each publish to the forwarder in order', async () => {
    const sub = await device();
    const inbox = new Inbox(sub);
    await subscribe(sub, 'telemetry/#', 2);
    const pubId = clientIdIn();
    const pub = await device(pubId);
    for (const qos of [0, 1, 2] as const) await publish(pub, `telemetry/q${qos}`, `m${qos}`, { qos });
    for (const qos of [0, 1, 2] as const) {
      const m = await inbox.next((r) => r.topic === `telemetry/q${qos}`);
      expect(m.packet.qos).toBe(qos);
      expect(m.payload.toString()).toBe(`m${qos}`);
    }
    const mine = forwarder.seen.filter((s) => s.ctx.clientId === pubId);
    expect(mine.map((s) => [s.packet.topic, s.packet.qos])).toEqual([
      ['telemetry/q0', 0],
      ['telemetry/q1', 1],
      ['telemetry/q2', 2],
    ]);
    expect(mine[0].ctx.instanceId).toBe(inst.id);
  });

  it('downgrades to the subscription QoS', async () => {
    const sub = await device();
    const inbox = new Inbox(sub);
    await subscribe(sub, 'telemetry/exact', 0);
    const pub = await device();
    await publish(pub, 'telemetry/exact', 'x', { qos: 1 });
    expect((await inbox.next()).packet.qos).toBe(0);
  });

  it('sends the QoS 1 PUBACK only after the forwarder acknowledged', async () => {
    forwarder.hold = true;
    const pub = await device();
    let acked = false;
    const done = publish(pub, 'telemetry/held', 'x', { qos: 1 }).then(() => (acked = true));
    await waitFor(() => forwarder.held.length > 0, { what: 'the PUBLISH held by the forwarder' });
    await quietWindow(300, 'a PUBACK before the forwarder acknowledged');
    expect(acked).toBe(false);
    expect(forwarder.held.length).toBeGreaterThan(0);
    for (const release of forwarder.held.splice(0)) release();
    await done;
    expect(acked).toBe(true);
  });

  it('closes the connection without PUBACK when the forwarder refuses, and delivers nothing', async () => {
    const sub = await device();
    const inbox = new Inbox(sub);
    await subscribe(sub, 'telemetry/#');
    forwarder.refuse = true;
    const pub = await device();
    let acked = false;
    pub.publish('telemetry/refused', 'x', { qos: 1 }, () => (acked = true));
    await waitForClose(pub);
    expect(acked).toBe(false);
    await inbox.none((m) => m.topic === 'telemetry/refused');
  });

  it('keeps retained messages per topic and clears them with an empty payload', async () => {
    const pub = await device();
    await publish(pub, 'status/lamp', 'on', { qos: 1, retain: true });
    const sub = await device();
    const inbox = new Inbox(sub);
    await subscribe(sub, 'status/+');
    const r = await inbox.next();
    expect([r.topic, r.payload.toString(), r.packet.retain]).toEqual(['status/lamp', 'on', true]);
    await publish(pub, 'status/lamp', '', { qos: 1, retain: true });
    const sub2 = await device();
    const inbox2 = new Inbox(sub2);
    await subscribe(sub2, 'status/+');
    await inbox2.none((m) => m.topic === 'status/lamp' && m.payload.length > 0);
  });

  it('publishes the will when a client dies, and not after DISCONNECT', async () => {
    const watcher = await device();
    const inbox = new Inbox(watcher);
    await subscribe(watcher, 'status/#');
    const id = clientIdIn();
    const mortal = await device(id, { will: { topic: `status/${id}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    (mortal as unknown as { stream: { destroy(): void } }).stream.destroy();
    const will = await inbox.next((m) => m.topic === `status/${id}`);
    expect(will.payload.toString()).toBe('gone');
    expect(forwarder.seen.some((s) => s.ctx.clientId === id && s.packet.will)).toBe(true);

    const id2 = clientIdIn();
    const polite = await device(id2, { will: { topic: `status/${id2}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    await endClient(polite);
    await inbox.none((m) => m.topic === `status/${id2}`);
  });

  it('does not publish a will to a topic the client may not use', async () => {
    const anon = await connectClient(gw.mqttUrl, { clientId: 'will-spy' });
    const inbox = new Inbox(anon);
    await subscribe(anon, '#');
    const id = clientIdIn();
    const c = await device(id, { will: { topic: 'forbidden/x', payload: Buffer.from('w'), qos: 0, retain: false } });
    (c as unknown as { stream: { destroy(): void } }).stream.destroy();
    await inbox.none(() => true, 400);
  });

  it('closes the old connection on takeover and reports the reasons', async () => {
    const id = clientIdIn();
    const reasons: DisconnectReason[] = [];
    const off = gw.gateway.events.on('disconnected', (ctx, reason) => {
      if (ctx.clientId === id) reasons.push(reason);
    });
    const first = await device(id);
    const closed = waitForClose(first);
    const second = await device(id);
    await closed;
    expect(second.connected).toBe(true);
    expect(gw.gateway.registry.get(inst.id, id)).toBeDefined();
    await endClient(second);
    await waitFor(() => reasons.length >= 2, { what: 'the second disconnect event' });
    off();
    expect(reasons).toEqual(['takeover', 'normal']);
    expect(gw.gateway.registry.get(inst.id, id)).toBeUndefined();
  });

  it('closes a silent client after 1.5 x keep-alive with reason keepalive-timeout', async () => {
    const id = clientIdIn();
    const c = await creds(id);
    const reasons: DisconnectReason[] = [];
    const off = gw.gateway.events.on('disconnected', (ctx, reason) => {
      if (ctx.clientId === id) reasons.push(reason);
    });
    const raw = await RawSocket.open(gw.port);
    raw.write(connectPacket(id, { keepalive: 1, username: c.username, password: Buffer.from(c.password) }));
    expect(connackReturnCode(await raw.waitBytes(4))).toBe(0);
    const t0 = Date.now();
    expect(await raw.closedWithin(3000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await waitFor(() => reasons.length >= 1, { what: 'the disconnect event' });
    off();
    expect(reasons).toEqual(['keepalive-timeout']);
  });

  it('unsubscribes through the namespace', async () => {
    const sub = await device();
    const inbox = new Inbox(sub);
    await subscribe(sub, 'telemetry/unsub');
    await new Promise<void>((resolve, reject) => sub.unsubscribe('telemetry/unsub', (err) => (err ? reject(err) : resolve())));
    const pub = await device();
    await publish(pub, 'telemetry/unsub', 'x', { qos: 1 });
    await inbox.none();
  });

  it('queues QoS 1 messages for an offline persistent session and restores its subscriptions', async () => {
    const id = clientIdIn();
    const first = await device(id, { clean: false });
    await subscribe(first, 'cmd/#', 1);
    await endClient(first);
    const pub = await device();
    await publish(pub, 'cmd/reboot', 'now', { qos: 1 });
    const { inbox } = await connectInbox(gw.mqttUrl, { ...(await creds(id)), clean: false });
    const m = await inbox.next();
    expect([m.topic, m.payload.toString()]).toEqual(['cmd/reboot', 'now']);
    // The queued message goes out before the session is announced.
    await waitFor(() => gw.gateway.registry.get(inst.id, id), { what: 'the restored session in the registry' });
    expect(gw.gateway.registry.subscriptions(inst.id, id)).toEqual([{ topic: 'cmd/#', qos: 1 }]);
    // Restored subscriptions keep working live.
    await publish(pub, 'cmd/again', 'x', { qos: 1 });
    await inbox.next((r) => r.topic === 'cmd/again');
  });

  it('streams no offline queue at CONNECT for a client nothing was queued for, and does for one something was (patches/aedes+1.2.0.patch)', async () => {
    type QueueStore = { outgoingStream(client: { id: string }): unknown };
    const persistence = (gw.gateway as unknown as { broker: { persistence: QueueStore } }).broker.persistence;
    const streamed: string[] = [];
    const outgoingStream = persistence.outgoingStream;
    persistence.outgoingStream = function (this: QueueStore, client) {
      streamed.push(client.id.split('/').pop()!);
      return outgoingStream.call(this, client);
    };
    try {
      const fresh = clientIdIn();
      await endClient(await device(fresh));
      const persistent = clientIdIn();
      await endClient(await device(persistent, { clean: false }));
      expect(streamed).toEqual([]);

      const queuedFor = clientIdIn();
      await offlineSession(queuedFor);
      const pub = await device();
      await publish(pub, 'cmd/queued', 'q', { qos: 1 });
      await endClient(pub);
      const { client: back, inbox } = await connectInbox(gw.mqttUrl, { ...(await creds(queuedFor)), clean: false });
      expect((await inbox.next()).payload.toString()).toBe('q');
      expect(streamed).toEqual([queuedFor]);
      await endClient(back);
    } finally {
      persistence.outgoingStream = outgoingStream;
    }
  });

  it('discards a persistent session, queued messages included, when the same client connects clean [MQTT-3.1.2-6]', async () => {
    const id = clientIdIn();
    await offlineSession(id);
    const pub = await device();
    await publish(pub, 'cmd/stale', 'old', { qos: 1 });
    expect(await gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${id}`, payload: Buffer.from('old-p2p'), qos: 1, retain: false, targetClientId: id })).toBe('queued');

    const clean = await connectInbox(gw.mqttUrl, { ...(await creds(id)), clean: true });
    await quietWindow(300, 'a message queued for the discarded session');
    expect(clean.inbox.messages.map((m) => m.payload.toString())).toEqual([]);
    await endClient(clean.client);
    await waitFor(() => gw.gateway.registry.get(inst.id, id) === undefined, { what: 'the clean session gone' });

    // Nothing of the old session comes back with the next persistent one either.
    const again = await connectInbox(gw.mqttUrl, { ...(await creds(id)), clean: false });
    await waitFor(() => gw.gateway.registry.get(inst.id, id), { what: 'the new persistent session in the registry' });
    expect(gw.gateway.registry.subscriptions(inst.id, id)).toEqual([]);
    await quietWindow(300, 'a message of the discarded session');
    expect(again.inbox.messages.map((m) => m.payload.toString())).toEqual([]);
    await endClient(again.client);
    await endClient(pub);
  });

  it('writes nothing to a resuming persistent session before its CONNACK, not even a message published while its subscriptions are restored [MQTT-3.2.0-1]', async () => {
    const id = clientIdIn();
    const first = await device(id, { clean: false });
    await subscribe(first, 'cmd/#', 1);
    await endClient(first);
    type WillStore = { putWill(client: { id: string }, packet: unknown): Promise<unknown> };
    const persistence = (gw.gateway as unknown as { broker: { persistence: WillStore } }).broker.persistence;
    const putWill = persistence.putWill;
    // aedes stores the will after it subscribed the resuming session again and before it writes
    // the CONNACK: a broadcast sent here reaches the restored subscription inside that window.
    persistence.putWill = async function (this: WillStore, client, packet) {
      if (client.id.endsWith(`/${id}`)) {
        void gw.gateway.deliver({ instanceId: inst.id, topic: 'cmd/early', payload: Buffer.from('early'), qos: 1, retain: false });
        await quietWindow(300, 'the broadcast written to the socket before the CONNACK');
      }
      return putWill.call(this, client, packet);
    };
    try {
      // MQTT.js handles nothing before its CONNACK: a PUBLISH written first stalls it until its connect timeout.
      const { inbox } = await connectInbox(gw.mqttUrl, { ...(await creds(id)), clean: false, connectTimeout: 3000, will: { topic: 'status/gone', payload: Buffer.from('x'), qos: 0, retain: false } });
      const m = await inbox.next((r) => r.topic === 'cmd/early');
      expect(m.payload.toString()).toBe('early');
    } finally {
      persistence.putWill = putWill;
    }
  });

  it('emits connected / subscribed / unsubscribed / disconnected with the client’s view', async () => {
    const id = clientIdIn();
    const log: string[] = [];
    const offs = [
      gw.gateway.events.on('connected', (ctx) => ctx.clientId === id && log.push(`connected ${ctx.instanceId} ${ctx.transport}`)),
      gw.gateway.events.on('subscribed', (ctx, subs) => ctx.clientId === id && log.push(`subscribed ${subs.map((s) => `${s.topic}@${s.qos}`).join(',')}`)),
      gw.gateway.events.on('unsubscribed', (ctx, f) => ctx.clientId === id && log.push(`unsubscribed ${f.join(',')}`)),
      gw.gateway.events.on('disconnected', (ctx, reason) => ctx.clientId === id && log.push(`disconnected ${reason}`)),
    ];
    const c = await device(id);
    await subscribe(c, ['telemetry/a', 'nope/#'], 1);
    await new Promise<void>((resolve) => c.unsubscribe('telemetry/a', () => resolve()));
    expect(gw.gateway.registry.close(inst.id, id, 'kicked')).toBe(true);
    await waitForClose(c);
    await waitFor(() => log.length >= 4, { what: 'the disconnected event' });
    offs.forEach((off) => off());
    expect(log).toEqual([`connected ${inst.id} tcp`, 'subscribed telemetry/a@1', 'unsubscribed telemetry/a', 'disconnected kicked']);
  });

  it('delivers downlink messages: broadcast to subscribers of the instance, P2P to one client', async () => {
    const id = clientIdIn();
    const target = await device(id);
    const targetInbox = new Inbox(target);
    const other = await device();
    const otherInbox = new Inbox(other);
    await subscribe(other, 'cmd/#');
    expect(await gw.gateway.deliver({ instanceId: inst.id, topic: 'cmd/all', payload: Buffer.from('b'), qos: 1, retain: false })).toBe('published');
    expect((await otherInbox.next()).topic).toBe('cmd/all');
    await targetInbox.none(() => true, 200); // not subscribed
    expect(await gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${id}`, payload: Buffer.from('p'), qos: 1, retain: false, targetClientId: id })).toBe('delivered');
    const p = await targetInbox.next();
    expect([p.topic, p.payload.toString()]).toEqual([`cmd/p2p/${id}`, 'p']);
    await otherInbox.none((m) => m.topic.includes('p2p'));
    expect(await gw.gateway.deliver({ instanceId: inst.id, topic: 'cmd/p2p/x', payload: Buffer.from('p'), qos: 1, retain: false, targetClientId: clientIdIn() })).toBe('not-connected');
  });

  it('delivers a broadcast and a P2P message to the same subscriber when the P2P is written while the broadcast is on its way', async () => {
    // aedes numbers a publish when it starts and hands it to subscribers a few ticks later; a
    // P2P write in between must not make the client take the broadcast for a duplicate.
    const id = clientIdIn();
    const c = await device(id);
    const inbox = new Inbox(c);
    await subscribe(c, 'cmd/#', 1);
    const broadcast = gw.gateway.deliver({ instanceId: inst.id, topic: 'cmd/all', payload: Buffer.from('b'), qos: 1, retain: false });
    const p2p = gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${id}`, payload: Buffer.from('p'), qos: 1, retain: false, targetClientId: id });
    expect(await Promise.all([broadcast, p2p])).toEqual(['published', 'delivered']);
    await inbox.next((m) => m.payload.toString() === 'p');
    await inbox.next((m) => m.payload.toString() === 'b');
    await endClient(c);
  });

  it('delivers broadcasts and P2P messages interleaved to a persistent session', async () => {
    const id = clientIdIn();
    const c = await device(id, { clean: false });
    const inbox = new Inbox(c);
    await subscribe(c, 'cmd/#', 1);
    const sent: Array<Promise<string>> = [];
    for (let i = 0; i < 20; i++) {
      sent.push(gw.gateway.deliver({ instanceId: inst.id, topic: 'cmd/all', payload: Buffer.from(`b${i}`), qos: 1, retain: false }));
      sent.push(gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${id}`, payload: Buffer.from(`p${i}`), qos: 1, retain: false, targetClientId: id }));
    }
    await Promise.all(sent);
    await waitFor(() => inbox.messages.length >= 40, { what: '20 broadcasts and 20 P2P messages' });
    expect(inbox.messages.map((m) => m.payload.toString()).sort()).toEqual([...Array(20).keys()].flatMap((i) => [`b${i}`, `p${i}`]).sort());
    await endClient(c);
  });

  it('queues downlink P2P at QoS 1 for an offline persistent session (memory store), delivered in order on reconnect; QoS 0 is not queued', async () => {
    const id = clientIdIn();
    const options = { clean: false, ...(await creds(id)) };
    const first = await connectClient(gw.mqttUrl, options);
    const ended = new Promise<void>((resolve) => {
      const off = gw.gateway.events.on('disconnected', (ctx) => {
        if (ctx.clientId !== id) return;
        off();
        resolve();
      });
    });
    await endClient(first);
    await ended;
    const send = (payload: string, qos: 0 | 1) => gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${id}`, payload: Buffer.from(payload), qos, retain: false, targetClientId: id });
    expect(await send('q1', 1)).toBe('queued');
    expect(await send('zero', 0)).toBe('not-connected');
    expect(await send('q2', 1)).toBe('queued');
    // A clean client that left is absent: nothing is queued for it.
    const cleanId = clientIdIn();
    await endClient(await connectClient(gw.mqttUrl, await creds(cleanId)));
    await waitFor(() => gw.gateway.registry.get(inst.id, cleanId) === undefined, { what: 'the clean client gone' });
    expect(await gw.gateway.deliver({ instanceId: inst.id, topic: `cmd/p2p/${cleanId}`, payload: Buffer.from('x'), qos: 1, retain: false, targetClientId: cleanId })).toBe('not-connected');

    const { client: again, inbox } = await connectInbox(gw.mqttUrl, options);
    await waitFor(() => inbox.messages.length >= 2, { what: 'the queued P2P messages' });
    await quietWindow(300, 'the QoS 0 message');
    expect(inbox.messages.map((m) => [m.topic, m.payload.toString(), m.packet.qos])).toEqual([
      [`cmd/p2p/${id}`, 'q1', 1],
      [`cmd/p2p/${id}`, 'q2', 1],
    ]);
    await endClient(again);
  });

  it('works with mosquitto_pub / mosquitto_sub, and with MQTT 3.1', async () => {
    const subId = clientIdIn();
    const subCreds = await creds(subId);
    const out = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gw.port), '-i', subId, '-u', subCreds.username, '-P', subCreds.password, '-t', 'telemetry/cli', '-C', '1', '-W', '5', '-q', '1']);
    await waitFor(() => gw.gateway.registry.subscriptions(inst.id, subId)?.length, { what: 'the mosquitto_sub subscription' });
    const pubCreds = await creds(clientIdIn());
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.port), '-i', pubCreds.clientId, '-u', pubCreds.username, '-P', pubCreds.password, '-t', 'telemetry/cli', '-m', 'from-cli', '-q', '1', '-V', 'mqttv31']);
    expect((await out).stdout.trim()).toBe('from-cli');

    const v31 = await connectClient(gw.mqttUrl, { ...(await creds(clientIdIn())), protocolVersion: 3, protocolId: 'MQIsdp' });
    const inbox = new Inbox(v31);
    await subscribe(v31, 'telemetry/v31');
    await publish(v31, 'telemetry/v31', 'x', { qos: 1 });
    await inbox.next();
  });
});
