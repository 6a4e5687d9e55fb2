import { Counter, Registry } from 'prom-client';
import { startOpsServer } from './http-server.js';

describe('startOpsServer', () => {
  it('answers /health by the health probe, /metrics from the registry, 404 otherwise', async () => {
    const registry = new Registry();
    new Counter({ name: 'fleetmq_test_total', help: 'test', registers: [registry] }).inc(3);
    let healthy = true;
    const server = await startOpsServer({ host: '127.0.0.1', port: 0, registry, healthy: () => healthy });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      healthy = false;
      const down = await fetch(`${base}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'unavailable' });
      const metrics = await fetch(`${base}/metrics`);
      expect(await metrics.text()).toContain('fleetmq_test_total 3');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
