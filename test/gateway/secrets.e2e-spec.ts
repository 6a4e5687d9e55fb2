// Secrets (access key secrets, signatures, tokens, device secrets, the admin token) never reach
// logs or metrics, whatever a client or an attacker does: everything the gateway and the console
// log, down to trace level, is captured and searched for each secret.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { register } from 'prom-client';
import request from 'supertest';
import { loadConfig } from '#config';
import { TokenEntity } from '#domain/persistence';
import { createConsoleApp } from '../../apps/console/src/create-console-app.js';
import { InMemoryConsoleMessaging } from '../../apps/console/src/messaging/in-memory-console-messaging.js';
import { basic } from '../console/console-test-app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { TEST_MASTER_KEY, clientIdIn, deviceCredentials, startTestGateway, tokenCredentials, type TestGateway } from '../helpers/gateway.js';
import { connackCode, connectClient, endAllClients, publish } from '../helpers/mqtt.js';

/** A pino logger at trace level whose every line lands in `text`. */
function capturingLogger(): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => lines.join('') };
}

describe('secrets stay out of logs and metrics', () => {
  const gatewayLog = capturingLogger();
  const consoleLog = capturingLogger();
  let gw: TestGateway;
  const secrets: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: true, logLevel: 'trace' }, logger: gatewayLog.logger });
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  it('the gateway logs and counts logins, failures, denials and revocations without any secret', async () => {
    const inst = await gw.seed.instance();
    const key = await gw.seed.accessKey(inst.id);
    const signed = await gw.seed.signatureClient(inst.id, clientIdIn());
    const t = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'RW');
    const dcId = clientIdIn();
    const dc = await gw.seed.deviceCredential(inst.id, dcId);
    secrets.push(key.secret, signed.password, t.token, dc.secret);

    await connectClient(gw.mqttUrl, signed);
    const tokenClient = await connectClient(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, clientIdIn(), `RW|${t.token}`));
    await connectClient(gw.mqttUrl, deviceCredentials(inst.id, dc.deviceAccessKeyId, dc.secret, dcId));
    // Wrong ones: a signature for another client, a token of another key, a device secret as signature.
    expect(await connackCode(gw.mqttUrl, { ...signed, clientId: clientIdIn() })).toBe(4);
    expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, (await gw.seed.accessKey(inst.id)).accessKeyId, clientIdIn(), `R|${t.token}`))).toBe(4);
    expect(await connackCode(gw.mqttUrl, { clientId: clientIdIn(), username: `Signature|${key.accessKeyId}|${inst.id}`, password: dc.secret })).toBe(4);
    // A denied publish (acknowledged and dropped under the default deny action), then a revocation.
    await publish(tokenClient, 'cmd/outside', 'x', { qos: 1 });
    await gw.dataSource.getRepository(TokenEntity).update({ tokenHash: t.hash }, { revokedAt: new Date() });
    await gw.gateway.credentials.invalidateToken(t.hash);

    const logged = gatewayLog.text();
    expect(logged).toContain('connect refused');
    expect(logged).toContain('packet refused');
    const metrics = await register.metrics();
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(metrics).not.toContain(secret);
    }
  });

  it('the console logs token, key and credential requests (good and bad) without any secret', async () => {
    const adminToken = `admin-${TEST_MASTER_KEY.slice(0, 24)}`;
    const config = loadConfig('console', { DATABASE_URL: testDatabaseUrl(), FLEETMQ_ADMIN_TOKEN: adminToken, FLEETMQ_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'trace' });
    const app = await createConsoleApp({ config, dataSource: gw.dataSource, messaging: new InMemoryConsoleMessaging(), logger: consoleLog.logger });
    try {
      const api = () => request(app.getHttpServer());
      const bearer = { Authorization: `Bearer ${adminToken}` };
      const I = `/api/v1/instances/${(await api().post('/api/v1/instances').set(bearer).send({ name: `secrets-${Date.now()}` }).expect(201)).body.id}`;
      await api().post(`${I}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
      await api().post(`${I}/groups`).set(bearer).send({ groupId: 'GID_dev' }).expect(201);
      const key = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'PUB' }).expect(201)).body;
      const token = (await api().post(`${I}/tokens`).set(basic(key.accessKeyId, key.secretKey)).send({ resources: ['telemetry/#'], actions: 'W', expireTime: Date.now() + 60_000 }).expect(201)).body.token;
      const dc = (await api().post(`${I}/device-credentials`).set(bearer).send({ clientId: clientIdIn() }).expect(201)).body;
      // Refused and broken requests carrying secrets.
      await api().post(`${I}/tokens`).set(basic(key.accessKeyId, key.secretKey)).send({ resources: ['telemetry/#'], actions: 'R', expireTime: Date.now() + 60_000 }).expect(403);
      await api().post(`${I}/tokens`).set(basic(key.accessKeyId, `${key.secretKey}x`)).send({}).expect(401);
      await api().post(`${I}/tokens/query`).set(bearer).send({ token: `${token}x` }).expect(404);
      await api().post(`${I}/tokens/revoke`).set(bearer).send({ token }).expect(200);
      await api().get('/api/v1/instances').set({ Authorization: `Bearer ${adminToken}x` }).expect(401);
      const logged = consoleLog.text();
      expect(logged.length).toBeGreaterThan(0);
      const metrics = await register.metrics();
      for (const secret of [adminToken, key.secretKey, token, dc.deviceAccessKeySecret]) {
        expect(logged).not.toContain(secret);
        expect(metrics).not.toContain(secret);
      }
    } finally {
      await app.close();
    }
  });
});
