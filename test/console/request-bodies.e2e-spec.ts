import request from 'supertest';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

// Mistakes a user following the docs makes with curl: one clear message each, nothing written.
describe('console: request bodies', () => {
  let t: ConsoleTestApp;

  beforeAll(async () => {
    t = await startConsole('bodies');
  });
  afterAll(async () => {
    await t?.close();
  });

  const instanceCount = async (): Promise<number> => (await request(t.server).get('/api/v1/instances').set(bearer)).body.items.length;

  it('a missing required field gets one message for that field', async () => {
    const res = await request(t.server).post('/api/v1/instances').set(bearer).send({});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'name', reason: 'is required' }]);
  });

  it('a present but wrong field still gets its reasons', async () => {
    const res = await request(t.server).post('/api/v1/instances').set(bearer).send({ name: ' padded ' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'name', reason: 'must not start or end with white space' }]);
  });

  it.each([
    ['no Content-Type', undefined, 'no Content-Type'],
    ["curl -d's default (a form)", 'application/x-www-form-urlencoded', 'Content-Type application/x-www-form-urlencoded'],
    ['plain text', 'text/plain; charset=utf-8', 'Content-Type text/plain'],
  ])('a JSON body sent with %s gets 415 saying to send Content-Type: application/json', async (_, type, said) => {
    const before = await instanceCount();
    const req = request(t.server).post('/api/v1/instances').set(bearer);
    if (type !== undefined) req.set('Content-Type', type);
    const res = await req.send(Buffer.from('{"name":"no-type"}'));
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toBe(`the request body must be JSON, sent with the header Content-Type: application/json (this request had ${said})`);
    expect(await instanceCount()).toBe(before);
  });

  it('JSON with a charset, and requests without a body, are unaffected', async () => {
    const created = await request(t.server).post('/api/v1/instances').set(bearer).set('Content-Type', 'application/json; charset=utf-8').send('{"name":"with-charset"}');
    expect(created.status).toBe(201);
    expect((await request(t.server).delete(`/api/v1/instances/${created.body.id}`).set(bearer)).status).toBe(204);
  });
});
