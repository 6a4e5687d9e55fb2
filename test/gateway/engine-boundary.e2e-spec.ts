// Issue 9 item 1, the class: an exception thrown while handling one connection closes that
// connection, is logged and counted, and never ends the process. The fault is injected into
// the authorize-publish hook through the publish forwarder (the Kafka bridge's port), for a
// PUBLISH and for a will; real MQTT clients over TCP.
import type { PublishForwarder } from '../../apps/gateway/src/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/logs.js';
import { counter } from '../helpers/metrics.js';
import { Inbox, connectClient, endAllClients, publish, subscribe, waitForClose } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';

/** Throws on topics under boom/, as a bridge bug would; acknowledges everything else. */
const throwingForwarder: PublishForwarder = {
  forward(_ctx, packet, done) {
    if (packet.topic.startsWith('boom/')) throw new Error(`injected fault for ${packet.topic}`);
    done();
  },
};

describe('engine boundary: a throwing hook closes its connection only', () => {
  let gw: TestGateway;
  const logs = captureLogs();
  const internalErrors = () => counter('fleetmq_gateway_internal_errors_total', { where: 'authorize-publish' });

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true }, forwarder: throwingForwarder, logger: logs.logger });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  it('a PUBLISH whose hook throws: that connection is closed, counted and logged; others keep working', async () => {
    const bystander = await connectClient(gw.mqttUrl, { clientId: 'bystander' });
    const inbox = new Inbox(bystander);
    await subscribe(bystander, 'ok/#');
    const before = await internalErrors();

    const victim = await connectClient(gw.mqttUrl, { clientId: 'victim' });
    const closed = waitForClose(victim, 5000);
    victim.publish('boom/1', 'x', { qos: 1 });
    await closed;

    expect(await internalErrors()).toBe(before + 1);
    const line = logs.withMessage('internal error while handling a connection: connection closed').at(-1);
    expect(line).toMatchObject({ where: 'authorize-publish', clientId: 'victim', instanceId: 'default', level: 50 });
    expect(String((line!.err as { message?: string }).message)).toContain('injected fault for boom/1');

    await publish(bystander, 'ok/after', 'alive', { qos: 1 });
    expect((await inbox.next((m) => m.topic === 'ok/after')).payload.toString()).toBe('alive');
    expect(gw.gateway.registry.get('default', 'bystander')).toBeDefined();
  });

  it('a will whose hook throws when the connection dies: the process and other clients go on', async () => {
    const bystander = await connectClient(gw.mqttUrl, { clientId: 'bystander-2' });
    const inbox = new Inbox(bystander);
    await subscribe(bystander, '#');
    const before = await internalErrors();

    const dying = await connectClient(gw.mqttUrl, { clientId: 'dying', will: { topic: 'boom/will', payload: Buffer.from('bye'), qos: 1, retain: false } });
    dying.stream.destroy(); // no DISCONNECT: the will path runs
    await waitFor(async () => ((await internalErrors()) > before ? true : undefined), { timeoutMs: 5000, what: 'the contained will error' });

    await publish(bystander, 'ok/after-will', 'alive', { qos: 1 });
    expect((await inbox.next((m) => m.topic === 'ok/after-will')).payload.toString()).toBe('alive');
    await inbox.none((m) => m.topic === 'boom/will', 200);
    // The gateway still accepts new connections.
    const late = await connectClient(gw.mqttUrl, { clientId: 'late' });
    expect(late.connected).toBe(true);
  });
});
