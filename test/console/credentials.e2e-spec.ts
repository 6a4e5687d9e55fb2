import request from 'supertest';
import { AccessKeyEntity, TokenEntity } from '#domain/persistence';
import { tokenHashOf } from '../helpers/gateway.js';
import { basic, bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

describe('console: topics, groups, access keys, tokens, device credentials (real PostgreSQL)', () => {
  let t: ConsoleTestApp;
  let I: string;
  let other: string;
  const api = () => request(t.server);
  const future = () => Date.now() + 3600_000;

  beforeAll(async () => {
    t = await startConsole('ccred');
    I = `/api/v1/instances/${(await api().post('/api/v1/instances').set(bearer).send({ name: 'creds' }).expect(201)).body.id}`;
    other = `/api/v1/instances/${(await api().post('/api/v1/instances').set(bearer).send({ name: 'other' }).expect(201)).body.id}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('parent topics', () => {
    it('creates, lists and deletes', async () => {
      const res = await api().post(`${I}/topics`).set(bearer).send({ name: 'telemetry', description: 'device data' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'telemetry', description: 'device data' });
      await api().post(`${I}/topics`).set(bearer).send({ name: 'cmd' }).expect(201);
      await api().post(`${I}/topics`).set(bearer).send({ name: 'tmp' }).expect(201);
      const list = await api().get(`${I}/topics`).set(bearer).expect(200);
      expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['cmd', 'telemetry', 'tmp']);
      await api().delete(`${I}/topics/tmp`).set(bearer).expect(204);
      expect((await api().delete(`${I}/topics/tmp`).set(bearer)).status).toBe(404);
    });

    it('refuses a multi-level or wildcard name and a duplicate', async () => {
      for (const name of ['a/b', '#', 'a+', '', 'x'.repeat(65)]) {
        const res = await api().post(`${I}/topics`).set(bearer).send({ name });
        expect(res.status).toBe(400);
        expect(res.body.errors[0].field).toBe('name');
      }
      expect((await api().post(`${I}/topics`).set(bearer).send({ name: 'telemetry' })).status).toBe(409);
    });

    it('keeps instances apart: the same name in another instance is fine', async () => {
      await api().post(`${other}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
    });
  });

  describe('groups', () => {
    it('creates, lists, deletes, and refuses a bad group ID', async () => {
      await api().post(`${I}/groups`).set(bearer).send({ groupId: 'GID_sensors' }).expect(201);
      await api().post(`${I}/groups`).set(bearer).send({ groupId: 'GID_gone' }).expect(201);
      const list = await api().get(`${I}/groups?limit=1`).set(bearer).expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.nextCursor).toEqual(expect.any(String));
      await api().delete(`${I}/groups/GID_gone`).set(bearer).expect(204);
      expect((await api().delete(`${I}/groups/GID_gone`).set(bearer)).status).toBe(404);
      const bad = await api().post(`${I}/groups`).set(bearer).send({ groupId: 'sensors' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('groupId');
    });

    it('creates exactly one group when the same group is posted concurrently', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => api().post(`${I}/groups`).set(bearer).send({ groupId: 'GID_race' })));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    });
  });

  describe('access keys', () => {
    it('shows the secret once and stores it encrypted', async () => {
      const res = await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'ALL', description: 'backend' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ permission: 'ALL', enabled: true, description: 'backend' });
      expect(res.body.secretKey).toEqual(expect.any(String));
      const row = await t.dataSource.getRepository(AccessKeyEntity).findOneByOrFail({ accessKeyId: res.body.accessKeyId });
      expect(row.secretEncrypted).not.toContain(res.body.secretKey);
      const list = await api().get(`${I}/access-keys`).set(bearer).expect(200);
      const listed = list.body.items.find((k: { accessKeyId: string }) => k.accessKeyId === res.body.accessKeyId);
      expect(listed).toBeDefined();
      expect(listed.secretKey).toBeUndefined();
      expect(JSON.stringify(list.body)).not.toContain(res.body.secretKey);
    });

    it('refuses an unknown permission', async () => {
      const res = await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'ROOT' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('permission');
    });

    it('disables a key (control key-disabled) and deletes it (key-disabled again)', async () => {
      const key = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'PUB' }).expect(201)).body;
      const instanceId = I.split('/').pop();
      t.messaging.control.length = 0;
      const off = await api().patch(`${I}/access-keys/${key.accessKeyId}`).set(bearer).send({ enabled: false });
      expect(off.status).toBe(200);
      expect(off.body.enabled).toBe(false);
      expect(t.messaging.control).toEqual([{ type: 'key-disabled', instanceId, accessKeyId: key.accessKeyId }]);
      await api().delete(`${I}/access-keys/${key.accessKeyId}`).set(bearer).expect(204);
      expect(t.messaging.control).toHaveLength(2);
      expect((await api().patch(`${I}/access-keys/${key.accessKeyId}`).set(bearer).send({ enabled: true })).status).toBe(404);
    });

    it('does not find a key through another instance', async () => {
      const key = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'SUB' }).expect(201)).body;
      expect((await api().patch(`${other}/access-keys/${key.accessKeyId}`).set(bearer).send({ enabled: false })).status).toBe(404);
      expect((await api().delete(`${other}/access-keys/${key.accessKeyId}`).set(bearer)).status).toBe(404);
    });
  });

  describe('tokens', () => {
    let key: { accessKeyId: string; secretKey: string };
    let otherKey: { accessKeyId: string; secretKey: string };

    beforeAll(async () => {
      key = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
      otherKey = (await api().post(`${other}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
    });

    it('applies for a token with the admin token and stores only its hash', async () => {
      const expireTime = future();
      const res = await api()
        .post(`${I}/tokens`)
        .set(bearer)
        .send({ resources: ['telemetry/+/up', 'cmd/#'], actions: 'RW', expireTime, accessKeyId: key.accessKeyId });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ token: expect.any(String), expiresAt: expireTime, resources: ['telemetry/+/up', 'cmd/#'], actions: 'RW' });
      const row = await t.dataSource.getRepository(TokenEntity).findOneByOrFail({ tokenHash: tokenHashOf(res.body.token) });
      expect(row.accessKeyId).toBe(key.accessKeyId);
      expect(await t.dataSource.getRepository(TokenEntity).countBy({ tokenHash: res.body.token })).toBe(0);
    });

    it('applies with HTTP Basic of an access key of the instance, then queries and revokes', async () => {
      const auth = basic(key.accessKeyId, key.secretKey);
      const applied = await api().post(`${I}/tokens`).set(auth).send({ resources: ['telemetry/#'], actions: 'W', expireTime: future() });
      expect(applied.status).toBe(201);
      const token = applied.body.token as string;

      const q = await api().post(`${I}/tokens/query`).set(auth).send({ token });
      expect(q.status).toBe(200);
      expect(q.body).toEqual({ resources: ['telemetry/#'], actions: 'W', expiresAt: applied.body.expiresAt, revoked: false, accessKeyId: key.accessKeyId });

      t.messaging.control.length = 0;
      const r = await api().post(`${I}/tokens/revoke`).set(auth).send({ token });
      expect(r.status).toBe(200);
      expect(t.messaging.control).toEqual([{ type: 'token-revoked', instanceId: I.split('/').pop(), tokenHash: tokenHashOf(token) }]);
      const after = await api().post(`${I}/tokens/query`).set(bearer).send({ token });
      expect(after.body.revoked).toBe(true);
    });

    it('refuses the access key of another instance, a wrong secret and a disabled key', async () => {
      const body = { resources: ['telemetry/#'], actions: 'R', expireTime: future() };
      const foreign = await api().post(`${I}/tokens`).set(basic(otherKey.accessKeyId, otherKey.secretKey)).send(body);
      expect([401, 403]).toContain(foreign.status);
      expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await api().post(`${I}/tokens`).set(basic(key.accessKeyId, 'wrong-secret')).send(body)).status).toBe(401);
      expect((await api().post(`${I}/tokens`).set(basic('LTAI-unknown', 'x')).send(body)).status).toBe(401);
      const disabled = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
      await api().patch(`${I}/access-keys/${disabled.accessKeyId}`).set(bearer).send({ enabled: false }).expect(200);
      expect((await api().post(`${I}/tokens`).set(basic(disabled.accessKeyId, disabled.secretKey)).send(body)).status).toBe(401);
    });

    it('validates resources, actions, expiry and the access key, naming the fields', async () => {
      const res = await api()
        .post(`${I}/tokens`)
        .set(bearer)
        .send({ resources: ['telemetry/#', 'unknown/x', 'telemetry/a+'], actions: 'RW', expireTime: Date.now() - 1000 });
      expect(res.status).toBe(400);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['accessKeyId', 'expireTime', 'resources.1', 'resources.2']);

      const dto = await api().post(`${I}/tokens`).set(bearer).send({ resources: [], actions: 'X', expireTime: 'soon' });
      expect(dto.status).toBe(400);
      expect((dto.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual(['actions', 'expireTime', 'resources']);

      const tooMany = await api().post(`${I}/tokens`).set(bearer).send({ resources: Array(101).fill('telemetry/#'), actions: 'R', expireTime: future(), accessKeyId: key.accessKeyId });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.errors[0].field).toBe('resources');

      const tooLate = await api().post(`${I}/tokens`).set(bearer).send({ resources: ['telemetry/#'], actions: 'R', expireTime: Date.now() + 31 * 86400_000, accessKeyId: key.accessKeyId });
      expect(tooLate.status).toBe(400);
      expect(tooLate.body.errors[0].field).toBe('expireTime');

      const foreignKey = await api().post(`${I}/tokens`).set(bearer).send({ resources: ['telemetry/#'], actions: 'R', expireTime: future(), accessKeyId: otherKey.accessKeyId });
      expect(foreignKey.status).toBe(400);
      expect(foreignKey.body.errors[0].field).toBe('accessKeyId');
    });

    it('answers 404 to an unknown token and hides tokens of other keys from a Basic caller', async () => {
      expect((await api().post(`${I}/tokens/query`).set(bearer).send({ token: 'nope' })).status).toBe(404);
      expect((await api().post(`${I}/tokens/revoke`).set(bearer).send({ token: 'nope' })).status).toBe(404);
      const second = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
      const token = (await api().post(`${I}/tokens`).set(bearer).send({ resources: ['cmd/#'], actions: 'R', expireTime: future(), accessKeyId: key.accessKeyId }).expect(201)).body.token;
      expect((await api().post(`${I}/tokens/query`).set(basic(second.accessKeyId, second.secretKey)).send({ token })).status).toBe(404);
      expect((await api().post(`${other}/tokens/query`).set(bearer).send({ token })).status).toBe(404);
    });
  });

  describe('device credentials', () => {
    const clientId = 'GID_sensors@@@dev-1';

    it('registers a credential, shows it again, refreshes and deletes it', async () => {
      const created = await api().post(`${I}/device-credentials`).set(bearer).send({ clientId });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ clientId, deviceAccessKeyId: expect.any(String), deviceAccessKeySecret: expect.any(String) });

      const got = await api().get(`${I}/device-credentials/${encodeURIComponent(clientId)}`).set(bearer).expect(200);
      expect(got.body.deviceAccessKeySecret).toBe(created.body.deviceAccessKeySecret);
      expect((await api().post(`${I}/device-credentials`).set(bearer).send({ clientId })).status).toBe(409);

      t.messaging.control.length = 0;
      const refreshed = await api().post(`${I}/device-credentials/${encodeURIComponent(clientId)}/refresh`).set(bearer).expect(200);
      expect(refreshed.body.deviceAccessKeyId).not.toBe(created.body.deviceAccessKeyId);
      expect(refreshed.body.deviceAccessKeySecret).not.toBe(created.body.deviceAccessKeySecret);
      const instanceId = I.split('/').pop();
      expect(t.messaging.control).toEqual([{ type: 'credential-revoked', instanceId, clientId, accessKeyId: created.body.deviceAccessKeyId }]);

      await api().delete(`${I}/device-credentials/${encodeURIComponent(clientId)}`).set(bearer).expect(204);
      expect(t.messaging.control[1]).toEqual({ type: 'credential-revoked', instanceId, clientId, accessKeyId: refreshed.body.deviceAccessKeyId });
      expect((await api().get(`${I}/device-credentials/${encodeURIComponent(clientId)}`).set(bearer)).status).toBe(404);
      expect((await api().post(`${I}/device-credentials/${encodeURIComponent(clientId)}/refresh`).set(bearer)).status).toBe(404);
    });

    it('refuses a malformed client ID or one whose group does not exist', async () => {
      const bad = await api().post(`${I}/device-credentials`).set(bearer).send({ clientId: 'no-group-here' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('clientId');
      const noGroup = await api().post(`${I}/device-credentials`).set(bearer).send({ clientId: 'GID_missing@@@dev' });
      expect(noGroup.status).toBe(400);
      expect(noGroup.body.errors[0]).toEqual({ field: 'clientId', reason: expect.stringContaining('GID_missing') });
    });
  });
});
