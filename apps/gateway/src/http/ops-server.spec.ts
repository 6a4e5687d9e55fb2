import { startOpsServer } from './ops-server.js';

describe('gateway ops server', () => {
  it('answers /health/live always and /health/ready by its dependency checks, naming the failing one', async () => {
    let databaseUp = true;
    const server = await startOpsServer(0, '127.0.0.1', async () => ({}), [
      { name: 'database', check: async () => { if (!databaseUp) throw new Error('connection terminated'); } },
      { name: 'kafka', check: async () => undefined },
    ]);
    const base = `http://127.0.0.1:${server.port}`;
    try {
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      databaseUp = false;
      const notReady = await fetch(`${base}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ status: 'not-ready', checks: { database: { status: 'down', error: 'connection terminated' }, kafka: { status: 'up' } } });
      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'live' });
    } finally {
      await server.close();
    }
  });
});
