import request from 'supertest';
import { GroupEntity, InstanceEntity, ParentTopicEntity, AccessKeyEntity } from '#domain/persistence';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

describe('console: instances, auth, errors, operations (real PostgreSQL)', () => {
  let t: ConsoleTestApp;
  const api = () => request(t.server);

  beforeAll(async () => {
    t = await startConsole('cins');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('authentication', () => {
    it('answers 401 problem+json without a token', async () => {
      const res = await api().get('/api/v1/instances');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(res.headers['www-authenticate']).toContain('Bearer');
    });

    it('answers 401 to a wrong admin token', async () => {
      const res = await api().get('/api/v1/instances').set('Authorization', 'Bearer not-the-token');
      expect(res.status).toBe(401);
    });

    it('refuses Basic auth outside the token routes', async () => {
      const res = await api().get('/api/v1/instances').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`);
      expect(res.status).toBe(401);
    });

    it('leaves /health, /metrics and the OpenAPI document open', async () => {
      expect((await api().get('/health')).status).toBe(200);
      expect((await api().get('/metrics')).status).toBe(200);
      expect((await api().get('/api/docs-json')).status).toBe(200);
      expect((await api().get('/api/docs')).status).toBe(200);
    });
  });

  describe('instances', () => {
    it('creates, reads, updates and lists an instance', async () => {
      const created = await api().post('/api/v1/instances').set(bearer).send({ name: 'fleet-a', description: 'first' });
      expect(created.status).toBe(201);
      expect(created.body.id).toMatch(/^fmq-[a-z0-9]{6}$/);
      expect(created.body).toMatchObject({ name: 'fleet-a', description: 'first' });
      expect(typeof created.body.createdAt).toBe('string');

      const got = await api().get(`/api/v1/instances/${created.body.id}`).set(bearer);
      expect(got.status).toBe(200);
      expect(got.body.name).toBe('fleet-a');

      const patched = await api().patch(`/api/v1/instances/${created.body.id}`).set(bearer).send({ description: 'changed' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'fleet-a', description: 'changed' });

      const list = await api().get('/api/v1/instances').set(bearer);
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining(['default', created.body.id]));
      expect(list.body.nextCursor).toBeNull();
    });

    it('answers 404 for an unknown instance in the path', async () => {
      for (const [method, path] of [
        ['get', '/api/v1/instances/fmq-nope00'],
        ['patch', '/api/v1/instances/fmq-nope00'],
        ['delete', '/api/v1/instances/fmq-nope00'],
        ['get', '/api/v1/instances/fmq-nope00/topics'],
        ['get', '/api/v1/instances/fmq-nope00/stats'],
      ] as const) {
        const res = await api()[method](path).set(bearer).send({});
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 404 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('answers 409 to a duplicate name, on create and on rename', async () => {
      await api().post('/api/v1/instances').set(bearer).send({ name: 'dup-name' }).expect(201);
      const dup = await api().post('/api/v1/instances').set(bearer).send({ name: 'dup-name' });
      expect(dup.status).toBe(409);
      expect(dup.body.status).toBe(409);
      const other = await api().post('/api/v1/instances').set(bearer).send({ name: 'other-name' }).expect(201);
      const rename = await api().patch(`/api/v1/instances/${other.body.id}`).set(bearer).send({ name: 'dup-name' });
      expect(rename.status).toBe(409);
    });

    it('creates exactly one instance when the same name is posted concurrently', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => api().post('/api/v1/instances').set(bearer).send({ name: 'race' })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    });

    it('refuses to delete the default instance', async () => {
      const res = await api().delete('/api/v1/instances/default').set(bearer);
      expect(res.status).toBe(409);
      expect((await api().get('/api/v1/instances/default').set(bearer)).status).toBe(200);
    });

    it('deletes an instance with its children', async () => {
      const inst = await api().post('/api/v1/instances').set(bearer).send({ name: 'doomed' }).expect(201);
      const id = inst.body.id as string;
      await api().post(`/api/v1/instances/${id}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
      await api().post(`/api/v1/instances/${id}/groups`).set(bearer).send({ groupId: 'GID_a' }).expect(201);
      await api().post(`/api/v1/instances/${id}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201);
      await api().delete(`/api/v1/instances/${id}`).set(bearer).expect(204);
      expect((await api().get(`/api/v1/instances/${id}`).set(bearer)).status).toBe(404);
      expect(await t.dataSource.getRepository(ParentTopicEntity).countBy({ instanceId: id })).toBe(0);
      expect(await t.dataSource.getRepository(GroupEntity).countBy({ instanceId: id })).toBe(0);
      expect(await t.dataSource.getRepository(AccessKeyEntity).countBy({ instanceId: id })).toBe(0);
    });

    it('pages through the list with an opaque cursor', async () => {
      for (let i = 0; i < 5; i++) await api().post('/api/v1/instances').set(bearer).send({ name: `page-${i}` }).expect(201);
      const all = await api().get('/api/v1/instances?limit=500').set(bearer).expect(200);
      const expected = (all.body.items as Array<{ id: string }>).map((i) => i.id);
      expect(expected.length).toBeGreaterThanOrEqual(6);
      // Independent of the endpoint: every stored instance, in id order (ids are lowercase ASCII).
      const stored = (await t.dataSource.getRepository(InstanceEntity).find({ select: { id: true } })).map((r) => r.id).sort();
      expect(expected).toEqual(stored);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await api()
          .get('/api/v1/instances')
          .query(cursor === null ? { limit: 2 } : { limit: 2, cursor })
          .set(bearer)
          .expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...(res.body.items as Array<{ id: string }>).map((i) => i.id));
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(expected);
    });

    it('refuses a bad limit or cursor, naming the field', async () => {
      const limit = await api().get('/api/v1/instances?limit=501').set(bearer);
      expect(limit.status).toBe(400);
      expect(limit.body.errors.map((e: { field: string }) => e.field)).toEqual(['limit']);
      const cursor = await api().get('/api/v1/instances?cursor=garbage!').set(bearer);
      expect(cursor.status).toBe(400);
      expect(cursor.body.errors[0].field).toBe('cursor');
    });
  });

  describe('validation', () => {
    it('answers 400 naming each bad field, unknown fields included', async () => {
      const res = await api().post('/api/v1/instances').set(bearer).send({ name: '', description: 5, extra: true });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400, detail: expect.any(String) });
      const fields = (res.body.errors as Array<{ field: string; reason: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['description', 'extra', 'name']);
      for (const e of res.body.errors) expect(e.reason.length).toBeGreaterThan(0);
    });

    it('answers 400 problem+json to a body that is not JSON', async () => {
      const res = await api().post('/api/v1/instances').set(bearer).set('Content-Type', 'application/json').send('{nope');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('answers 404 problem+json to an unknown route', async () => {
      const res = await api().get('/api/v1/nothing-here').set(bearer);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  describe('operations', () => {
    it('reports health', async () => {
      const res = await api().get('/health');
      expect(res.body).toEqual({ status: 'ok', database: 'up' });
    });

    it('serves Prometheus metrics including HTTP requests by route and status', async () => {
      await api().get('/api/v1/instances/fmq-zzzzzz').set(bearer).expect(404);
      const res = await api().get('/metrics');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('process_cpu_user_seconds_total');
      expect(res.text).toMatch(/fleetmq_console_http_requests_total\{method="GET",route="\/api\/v1\/instances\/:instanceId",status="404"\} \d+/);
    });

    it('publishes an OpenAPI document listing every route with both security schemes', async () => {
      const res = await api().get('/api/docs-json').expect(200);
      const paths = Object.keys(res.body.paths);
      const I = '/api/v1/instances/{instanceId}';
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/v1/instances', I, `${I}/topics`, `${I}/topics/{name}`, `${I}/groups`, `${I}/groups/{groupId}`,
          `${I}/access-keys`, `${I}/access-keys/{accessKeyId}`, `${I}/tokens`, `${I}/tokens/query`, `${I}/tokens/revoke`,
          `${I}/device-credentials`, `${I}/device-credentials/{clientId}`, `${I}/device-credentials/{clientId}/refresh`,
          `${I}/rules`, `${I}/rules/{ruleId}`, `${I}/rules/{ruleId}/stats`, `${I}/clients/{clientId}`, `${I}/clients/{clientId}/kick`,
          `${I}/messages`, `${I}/messages/batch`, `${I}/stats`, '/api/v1/nodes', '/health',
        ]),
      );
      expect(Object.keys(res.body.components.securitySchemes).sort()).toEqual(['basic', 'bearer']);
      expect(res.body.components.schemas.CreateInstanceDto.required).toContain('name');
    });
  });
});
