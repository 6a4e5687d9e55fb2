import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { basic, bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

/**
 * Sends the headers of a request declaring `declaredBytes` of JSON but only `sentBytes` of it,
 * and resolves with the answer: an answer can only come before the body is complete when the
 * server decided without reading it.
 */
function partialPost(port: number, path: string, headers: Record<string, string>, declaredBytes: number, sentBytes = 1024): Promise<IncomingMessage & { text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(declaredBytes), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        req.destroy();
        resolve(Object.assign(res, { text }));
      });
    });
    req.on('error', reject);
    req.write('{"name":"' + 'x'.repeat(Math.max(0, sentBytes - 10)));
    // The rest is never sent.
  });
}

describe('console security: token bounds, NUL bytes, bodies read only after authentication (real PostgreSQL)', () => {
  let t: ConsoleTestApp;
  let I: string;
  let port: number;
  const api = () => request(t.server);
  const future = () => Date.now() + 3600_000;

  beforeAll(async () => {
    t = await startConsole('csec');
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    I = `/api/v1/instances/${(await api().post('/api/v1/instances').set(bearer).send({ name: 'sec' }).expect(201)).body.id}`;
    await api().post(`${I}/topics`).set(bearer).send({ name: 'telemetry' }).expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('tokens never grant more than their access key', () => {
    it('answers 403 naming the action to a PUB key asking (Basic) for R and a SUB key asking for W', async () => {
      const pub = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'PUB' }).expect(201)).body;
      const sub = (await api().post(`${I}/access-keys`).set(bearer).send({ permission: 'SUB' }).expect(201)).body;
      const body = (actions: string) => ({ resources: ['telemetry/#'], actions, expireTime: future() });
      for (const [key, actions, named] of [[pub, 'R', 'R (subscribe)'], [pub, 'RW', 'R (subscribe)'], [sub, 'W', 'W (publish)'], [sub, 'RW', 'W (publish)']] as const) {
        const res = await api().post(`${I}/tokens`).set(basic(key.accessKeyId, key.secretKey)).send(body(actions));
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('action-beyond-key');
        expect(res.body.detail).toContain(named);
      }
      // The admin token cannot issue it either.
      const admin = await api().post(`${I}/tokens`).set(bearer).send({ ...body('R'), accessKeyId: pub.accessKeyId });
      expect(admin.status).toBe(403);
      expect((await api().post(`${I}/tokens`).set(basic(pub.accessKeyId, pub.secretKey)).send(body('W'))).status).toBe(201);
      expect((await api().post(`${I}/tokens`).set(basic(sub.accessKeyId, sub.secretKey)).send(body('R'))).status).toBe(201);
    });
  });

  describe('NUL bytes', () => {
    it('answers 400 (not 500) to a NUL byte in a path ID, with or without credentials', async () => {
      for (const path of ['/api/v1/instances/fmq-%00abc', `${I}/groups/GID_%00x`, `${I}/access-keys/AK%00`, `${I}/device-credentials/GID_a@@@%00`]) {
        const res = await api().get(path).set(bearer);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect((await api().delete('/api/v1/instances/%00')).status).toBe(400);
    });

    it('answers 400 (not 500) to a NUL byte in the access key ID of a Basic header', async () => {
      const res = await api().post(`${I}/tokens`).set(basic('AK\u0000x', 'secret')).send({ resources: ['telemetry/#'], actions: 'R', expireTime: future() });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('Authorization');
    });
  });

  describe('request bodies', () => {
    it('answers 401 to an unauthenticated 33 MB body without reading it', async () => {
      const res = await partialPost(port, '/api/v1/instances', {}, 33 * 1024 * 1024);
      expect(res.statusCode).toBe(401);
    });

    it('answers 401 on a token route with wrong Basic credentials without reading the body', async () => {
      const res = await partialPost(port, `${I}/tokens`, basic('AKnothing', 'wrong'), 33 * 1024 * 1024);
      expect(res.statusCode).toBe(401);
    });

    it('answers 413 at once to an authenticated body larger than the route accepts', async () => {
      const res = await partialPost(port, '/api/v1/instances', bearer, 1024 * 1024);
      expect(res.statusCode).toBe(413);
      expect(JSON.parse(res.text).code).toBe('body-too-large');
      // Chunked (no declared length): cut off once past the limit.
      const chunked = await api().post('/api/v1/instances').set(bearer).set('Content-Type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(200_000) }));
      expect(chunked.status).toBe(413);
    });

    it('lets a batch of maximal payloads through on the batch route only', async () => {
      const payload = Buffer.alloc(t.config.limits.maxPayloadBytes, 7).toString('base64');
      const messages = [0, 1, 2].map((i) => ({ topic: `telemetry/big${i}`, payload, encoding: 'base64', qos: 1 }));
      const batch = await api().post(`${I}/messages/batch`).set(bearer).send({ messages });
      expect(batch.status).toBe(202);
      expect(batch.body.msgIds).toHaveLength(3);
      expect((await api().post(`${I}/messages`).set(bearer).send(messages[0])).status).toBe(202);
      // The same bytes on a route that carries no payloads are refused.
      expect((await api().post(`${I}/topics`).set(bearer).send({ name: 'x', description: payload })).status).toBe(413);
    });
  });
});
