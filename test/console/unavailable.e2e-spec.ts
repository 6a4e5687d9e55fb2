import request from 'supertest';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

describe('console: database unreachable', () => {
  let t: ConsoleTestApp;

  beforeAll(async () => {
    t = await startConsole('cdown');
    await request(t.server).get('/health').expect(200);
    // Closing the pool under the running app is what an unreachable database looks like to it.
    await t.dataSource.destroy();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports /health as 503 problem+json', async () => {
    const res = await request(t.server).get('/health');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers API calls with 503', async () => {
    const res = await request(t.server).get('/api/v1/instances').set(bearer);
    expect(res.status).toBe(503);
    expect(res.body.status).toBe(503);
  });
});
