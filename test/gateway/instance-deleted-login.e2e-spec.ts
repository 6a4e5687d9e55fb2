// A login that already passed its credential lookups when the instance-deleted control command
// arrives must not end up connected: the command closes only connections it can see in the
// registry. Real gateway, PostgreSQL and MQTT.js; the lookups are held open to make the race
// happen every time, and the command is applied the way the control bridge applies it.
import type { Aedes } from 'aedes';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import type { CredentialLookupRepository } from '#domain/persistence';
import { clientIdIn, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { connackCode, endAllClients } from '../helpers/mqtt.js';

describe('instance deleted while a login is in flight', () => {
  let gw: TestGateway;
  /** Set by a test: the next access-key lookup waits for it. */
  let holdLookup: { reached: () => void; released: Promise<void> } | undefined;

  beforeAll(async () => {
    gw = await startTestGateway({
      config: { allowAnonymous: false },
      credentials: (real): CredentialLookupRepository => ({
        findInstance: (id) => real.findInstance(id),
        findAccessKey: async (instanceId, accessKeyId) => {
          const found = await real.findAccessKey(instanceId, accessKeyId);
          const hold = holdLookup;
          holdLookup = undefined;
          if (hold !== undefined) {
            hold.reached();
            await hold.released;
          }
          return found;
        },
        findToken: (hash) => real.findToken(hash),
        findDeviceCredential: (id) => real.findDeviceCredential(id),
        groupExists: (instanceId, groupId) => real.groupExists(instanceId, groupId),
        parentTopics: (instanceId) => real.parentTopics(instanceId),
      }),
    });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  it('refuses (CONNACK 5) a login whose lookups finished before the command arrived', async () => {
    const inst = await gw.seed.instance();
    const creds = await gw.seed.signatureClient(inst.id, clientIdIn());
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      holdLookup = { reached: resolve, released: new Promise<void>((r) => (release = r)) };
    });
    const code = connackCode(gw.mqttUrl, creds);
    await reached;
    await gw.gateway.credentials.dropInstance(inst.id);
    release();
    expect(await code).toBe(5);
    expect(gw.gateway.registry.get(inst.id, creds.clientId)).toBeUndefined();
  });

  it('closes a login accepted just before the command, once aedes registers it', async () => {
    const inst = await gw.seed.instance();
    const creds = await gw.seed.signatureClient(inst.id, clientIdIn());
    // aedes writes the CONNACK, then emits 'connackSent' (lib/handlers/connect.js), where the
    // gateway registers the connection: the command lands just before that, when the connection
    // is accepted but not in the registry yet.
    const broker = (gw.gateway as unknown as { broker: Aedes }).broker;
    broker.prependOnceListener('connackSent', () => void gw.gateway.credentials.dropInstance(inst.id));
    const client: MqttClient = mqttConnect(gw.mqttUrl, { ...creds, protocolVersion: 4, reconnectPeriod: 0, clean: true });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await closed;
    expect(gw.gateway.registry.get(inst.id, creds.clientId)).toBeUndefined();
    client.end(true);
  });
});
