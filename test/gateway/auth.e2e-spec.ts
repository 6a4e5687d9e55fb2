import type { CredentialLookupRepository } from '#domain/persistence';
import { AccessKeyEntity } from '#domain/persistence';
import { clientIdIn, deviceCredentials, signatureCredentials, startTestGateway, tokenCredentials, type TestGateway } from '../helpers/gateway.js';
import { RawSocket, connackCode, connackReturnCode, connectClient, connectPacket, endAllClients, endClient } from '../helpers/mqtt.js';

describe('gateway authentication (CONNACK codes over real sockets)', () => {
  let gw: TestGateway;
  let inst: { id: string };

  beforeAll(async () => {
    gw = await startTestGateway({ config: { allowAnonymous: false } });
    inst = await gw.seed.instance();
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
  });

  describe('signature mode', () => {
    it('accepts a correct signature', async () => {
      const creds = await gw.seed.signatureClient(inst.id, clientIdIn());
      expect(await connackCode(gw.mqttUrl, creds)).toBe(0);
    });

    it('refuses a wrong signature with 4', async () => {
      const creds = await gw.seed.signatureClient(inst.id, clientIdIn());
      expect(await connackCode(gw.mqttUrl, { ...creds, password: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).toBe(4);
    });

    it('refuses a signature computed for another client ID with 4', async () => {
      const key = await gw.seed.accessKey(inst.id);
      const creds = signatureCredentials(inst.id, key.accessKeyId, key.secret, clientIdIn());
      expect(await connackCode(gw.mqttUrl, { ...creds, clientId: clientIdIn() })).toBe(4);
    });

    it('refuses an unknown access key with 4, a malformed username with 4', async () => {
      const creds = signatureCredentials(inst.id, 'AKnope', 'secret', clientIdIn());
      expect(await connackCode(gw.mqttUrl, creds)).toBe(4);
      expect(await connackCode(gw.mqttUrl, { ...creds, username: 'Signature|only-two' })).toBe(4);
    });

    it('refuses a key of another instance with 4', async () => {
      const other = await gw.seed.instance();
      const key = await gw.seed.accessKey(other.id);
      expect(await connackCode(gw.mqttUrl, signatureCredentials(inst.id, key.accessKeyId, key.secret, clientIdIn()))).toBe(4);
    });

    it('refuses a disabled key with 5', async () => {
      const key = await gw.seed.accessKey(inst.id, 'ALL', false);
      expect(await connackCode(gw.mqttUrl, signatureCredentials(inst.id, key.accessKeyId, key.secret, clientIdIn()))).toBe(5);
    });

    it('refuses an unknown instance with 5', async () => {
      const key = await gw.seed.accessKey(inst.id);
      expect(await connackCode(gw.mqttUrl, signatureCredentials('fmq-doesnotexist', key.accessKeyId, key.secret, clientIdIn()))).toBe(5);
    });

    it('refuses an unknown group with 5, a malformed client ID with 2', async () => {
      expect(await connackCode(gw.mqttUrl, await gw.seed.signatureClient(inst.id, clientIdIn('GID_unknown')))).toBe(5);
      expect(await connackCode(gw.mqttUrl, await gw.seed.signatureClient(inst.id, 'not-a-fleet-id'))).toBe(2);
    });
  });

  describe('token mode', () => {
    it('accepts R|t|W|t and RW|t, in any order', async () => {
      const key = await gw.seed.accessKey(inst.id);
      const r = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'R');
      const w = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'W');
      const rw = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'RW');
      expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, clientIdIn(), `R|${r.token}|W|${w.token}`))).toBe(0);
      expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, clientIdIn(), `W|${w.token}|R|${r.token}`))).toBe(0);
      expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, clientIdIn(), `RW|${rw.token}`))).toBe(0);
    });

    it('refuses unknown (4), expired (5), revoked (5) and mis-typed (4) tokens', async () => {
      const key = await gw.seed.accessKey(inst.id);
      const expired = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'R', { expiresInMs: -1000 });
      const revoked = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'R', { revoked: true });
      const readOnly = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'R');
      const login = (password: string) => connackCode(gw.mqttUrl, tokenCredentials(inst.id, key.accessKeyId, clientIdIn(), password));
      expect(await login('R|not-a-real-token')).toBe(4);
      expect(await login(`R|${expired.token}`)).toBe(5);
      expect(await login(`R|${revoked.token}`)).toBe(5);
      expect(await login(`W|${readOnly.token}`)).toBe(4);
      expect(await login('garbage')).toBe(4);
    });

    it("refuses a token presented with another key's ID with 4", async () => {
      const key = await gw.seed.accessKey(inst.id);
      const other = await gw.seed.accessKey(inst.id);
      const t = await gw.seed.token(inst.id, key.accessKeyId, ['telemetry/#'], 'R');
      expect(await connackCode(gw.mqttUrl, tokenCredentials(inst.id, other.accessKeyId, clientIdIn(), `R|${t.token}`))).toBe(4);
    });
  });

  describe('device credential mode', () => {
    it('accepts its own client, refuses a wrong secret (4) and another client (5)', async () => {
      const clientId = clientIdIn();
      const dc = await gw.seed.deviceCredential(inst.id, clientId);
      expect(await connackCode(gw.mqttUrl, deviceCredentials(inst.id, dc.deviceAccessKeyId, dc.secret, clientId))).toBe(0);
      expect(await connackCode(gw.mqttUrl, deviceCredentials(inst.id, dc.deviceAccessKeyId, 'wrong-secret', clientId))).toBe(4);
      const otherClient = clientIdIn();
      expect(await connackCode(gw.mqttUrl, deviceCredentials(inst.id, dc.deviceAccessKeyId, dc.secret, otherClient))).toBe(5);
    });
  });

  it('refuses anonymous clients with 5 when anonymous access is off', async () => {
    expect(await connackCode(gw.mqttUrl, { clientId: 'anything' })).toBe(5);
  });

  it('caches credentials: a key disabled in the database still works until invalidated, then is refused', async () => {
    const key = await gw.seed.accessKey(inst.id);
    const creds = signatureCredentials(inst.id, key.accessKeyId, key.secret, clientIdIn());
    const client = await connectClient(gw.mqttUrl, creds);
    await gw.dataSource.getRepository(AccessKeyEntity).update({ accessKeyId: key.accessKeyId }, { enabled: false });
    expect(await connackCode(gw.mqttUrl, signatureCredentials(inst.id, key.accessKeyId, key.secret, clientIdIn()))).toBe(0);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect(await gw.gateway.credentials.invalidateAccessKey(key.accessKeyId)).toBe(1);
    await closed;
    expect(await connackCode(gw.mqttUrl, creds)).toBe(5);
    await endClient(client);
  });
});

describe('gateway authentication: anonymous, rate limit, database down', () => {
  it('lets anonymous clients use the default instance as a plain broker, empty client ID included', async () => {
    const gw = await startTestGateway({ config: { allowAnonymous: true } });
    try {
      expect(await connackCode(gw.mqttUrl, { clientId: 'any id at all!' })).toBe(0);
      expect(await connackCode(gw.mqttUrl, { clientId: '', clean: true })).toBe(0);
      // [MQTT-3.1.3-8]: an empty client ID with a persistent session gets 2.
      const raw = await RawSocket.open(gw.port);
      // mqtt-packet will not even encode this CONNECT: clean session 0, keep-alive 30, zero-length client ID.
      raw.write(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 30, 0, 0]));
      expect(connackReturnCode(await raw.waitBytes(4))).toBe(2);
      raw.destroy();
    } finally {
      await endAllClients();
      await gw.close();
    }
  });

  it('refuses with 5 without checking once an address failed too often; other addresses are unaffected', async () => {
    const gw = await startTestGateway({ config: { allowAnonymous: false, limits: { authFailuresPerMinute: 3 } } });
    try {
      const inst = await gw.seed.instance();
      const good = await gw.seed.signatureClient(inst.id, clientIdIn());
      const bad = { ...good, password: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
      const from = async (localAddress: string, creds: typeof good) => {
        const raw = await RawSocket.open(gw.port, localAddress);
        raw.write(connectPacket(creds.clientId, { username: creds.username, password: Buffer.from(creds.password) }));
        const code = connackReturnCode(await raw.waitBytes(4));
        raw.destroy();
        return code;
      };
      for (let i = 0; i < 3; i++) expect(await from('127.0.0.3', bad)).toBe(4);
      // Blocked now: even the right password gets 5 from that address.
      expect(await from('127.0.0.3', good)).toBe(5);
      expect(await from('127.0.0.1', good)).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('answers 3 when the database is unreachable and nothing is cached', async () => {
    const failing = (): CredentialLookupRepository => {
      const down = () => Promise.reject(new Error('connect ECONNREFUSED'));
      return { findInstance: down, findAccessKey: down, findToken: down, findDeviceCredential: down, groupExists: down, parentTopics: down };
    };
    const gw = await startTestGateway({ config: { allowAnonymous: false }, credentials: failing });
    try {
      const creds = signatureCredentials('fmq-abcdef', 'AKx', 'secret', clientIdIn());
      expect(await connackCode(gw.mqttUrl, creds)).toBe(3);
    } finally {
      await gw.close();
    }
  });
});
