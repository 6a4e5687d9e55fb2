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

  it('answers /health/live always and /health/ready by its dependency checks, naming the failing one', async () => {
    let kafkaUp = true;
    const server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      healthy: () => true,
      readiness: [
        { name: 'database', check: async () => undefined },
        { name: 'kafka', check: async () => { if (!kafkaUp) throw new Error('Connection error'); } },
      ],
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ready');
      kafkaUp = false;
      const notReady = await fetch(`${base}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { checks: unknown }).checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'down', error: 'Connection error' } });
      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'live' });
    } finally {
      server.close();
    }
  });
});
