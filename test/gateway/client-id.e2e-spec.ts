import { createLogger } from '#config';
import { ClientSessionEntity, TypeOrmClientSessionRepository } from '#domain/persistence';
import { SessionTracker } from '../../apps/gateway/src/state/session-tracker.js';
import { clientIdIn, deviceCredentials, startTestGateway, tokenCredentials, type SeededInstance, type TestGateway } from '../helpers/gateway.js';
import { connackCode, endAllClients } from '../helpers/mqtt.js';

describe('client ID length (at most 64 characters, every mode) and the client_sessions writer', () => {
  let gw: TestGateway;
  let inst: SeededInstance;

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true } });
    inst = await gw.seed.instance();
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  it('refuses an anonymous client ID over 64 characters with CONNACK 2, over TCP and WebSocket', async () => {
    for (const url of [gw.mqttUrl, gw.wsUrl]) {
      expect(await connackCode(url, { clientId: 'a'.repeat(64) })).toBe(0);
      for (const length of [65, 200, 20_000]) expect(await connackCode(url, { clientId: 'a'.repeat(length) })).toBe(2);
    }
  });

  it('refuses an over-long client ID with CONNACK 2 in signature, token and device-credential modes', async () => {
    const long = `GID_dev@@@${'d'.repeat(200)}`;
    expect(await connackCode(gw.mqttUrl, await gw.seed.signatureClient(inst.id, long))).toBe(2);
    const key = await gw.seed.accessKey(inst.id);
    const t = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'RW');
    expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, long, `RW|${t.token}`))).toBe(2);
    const dc = await gw.seed.deviceCredential(inst.id, clientIdIn());
    expect(await connackCode(gw.mqttUrl, deviceCredentials(inst.id, dc.deviceAccessKeyId, dc.secret, long))).toBe(2);
  });

  it('writes the other rows of a batch when PostgreSQL refuses one (a client ID too long for the column)', async () => {
    const tracker = new SessionTracker({
      repo: new TypeOrmClientSessionRepository(gw.dataSource),
      nodeId: 'node-client-id-test',
      flushMs: 60_000,
      logger: createLogger('silent'),
      connectLingerMs: 20,
    });
    const ids = [clientIdIn(), 'x'.repeat(300), clientIdIn(), clientIdIn()];
    const epochs = await Promise.all(ids.map((clientId) => tracker.opened({}, { instanceId: inst.id, clientId, remoteAddress: '127.0.0.1', clean: true })));
    expect(epochs).toEqual([1, 0, 1, 1]);
    const rows = await gw.dataSource.getRepository(ClientSessionEntity).findBy({ instanceId: inst.id, nodeId: 'node-client-id-test' });
    expect(rows.map((r) => r.clientId).sort()).toEqual([ids[0], ids[2], ids[3]].sort());
    await tracker.stop();
  });
});
