import request from 'supertest';
import { TypeOrmGatewayNodeRepository, TypeOrmInstanceTrafficRepository } from '#domain/persistence';
import { freePort } from '../reliability/harness.js';
import { waitFor } from '../helpers/wait.js';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

interface History {
  sampleIntervalMs: number;
  windowMs: number;
  samples: Array<{ at: string; connections: number | null; messagesInPerSecond: number | null; messagesOutPerSecond: number | null; kafka: string; database: string }>;
}

// The console's side of the web console: the built page at `/`, and the overview history it
// keeps (real PostgreSQL; Kafka real, unreachable or absent).
describe('console: web console files and overview history', () => {
  let t: ConsoleTestApp;
  const api = () => request(t.server);
  const history = async (app: ConsoleTestApp = t): Promise<History> => (await request(app.server).get('/api/v1/overview/history').set(bearer).expect(200)).body as History;
  const latest = async (app: ConsoleTestApp = t) => (await history(app)).samples.at(-1);

  beforeAll(async () => {
    t = await startConsole('cweb', { FLEETMQ_OVERVIEW_SAMPLE_MS: '100', FLEETMQ_WS_PORT: '18083', KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the built page at / without a token, and its hashed assets', async () => {
    const page = await api().get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = /src="\/assets\/([^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await api().get(`/assets/${script}`).expect(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers 404 problem+json for unknown assets and anything path-like', async () => {
    for (const path of ['/assets/nothing-here.js', '/assets/..%2F..%2Fpackage.json', '/assets/.source-hash']) {
      const res = await api().get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the history behind the admin token and documents it in OpenAPI (the page routes stay out)', async () => {
    expect((await api().get('/api/v1/overview/history')).status).toBe(401);
    const doc = (await api().get('/api/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/overview/history', '/api/v1/web-console/settings']));
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
  });

  it('tells the simulator where MQTT over WebSocket listens', async () => {
    const res = await api().get('/api/v1/web-console/settings').set(bearer).expect(200);
    expect(res.body).toEqual({ websocketPort: 18083, websocketPath: '/mqtt' });
  });

  it('samples connections of live nodes and fleet message rates, with Kafka and database up', async () => {
    const instance = (await api().post('/api/v1/instances').set(bearer).send({ name: 'overview' }).expect(201)).body as { id: string };
    await new TypeOrmGatewayNodeRepository(t.dataSource).heartbeat({ nodeId: 'node-a', startedAt: new Date(), mqttPort: 1884, connections: 7 });
    await new TypeOrmInstanceTrafficRepository(t.dataSource).save([
      { instanceId: instance.id, nodeId: 'node-a', messagesIn: 100, messagesOut: 10, rateIn: 12.5, rateOut: 3, connections: 7 },
    ]);
    const sample = await waitFor(async () => {
      const s = await latest();
      return s?.connections === 7 && s.messagesInPerSecond === 12.5 ? s : undefined;
    }, { timeoutMs: 15_000, what: 'a sample with the new node and traffic' });
    expect(sample).toMatchObject({ messagesOutPerSecond: 3, kafka: 'up', database: 'up' });
    // A node whose heartbeat stopped and rates nobody refreshed no longer count.
    await t.dataSource.query(`UPDATE "${t.schema}".gateway_nodes SET heartbeat_at = now() - interval '1 hour'`);
    await t.dataSource.query(`UPDATE "${t.schema}".instance_traffic SET updated_at = now() - interval '1 hour'`);
    await waitFor(async () => {
      const s = await latest();
      return s?.connections === 0 && s.messagesInPerSecond === 0 && s.messagesOutPerSecond === 0;
    }, { timeoutMs: 15_000, what: 'a sample without the silent node' });
    const h = await history();
    expect(h.sampleIntervalMs).toBe(100);
    expect(h.windowMs).toBe(15 * 60_000);
    // Oldest first, one every interval.
    const times = h.samples.map((s) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('reports Kafka as none without brokers, down when they do not answer, and the database as down when it is gone', async () => {
    const noKafka = await startConsole('cweb0', { FLEETMQ_OVERVIEW_SAMPLE_MS: '100' });
    const deadKafka = await startConsole('cwebd', { FLEETMQ_OVERVIEW_SAMPLE_MS: '200', KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    try {
      await waitFor(async () => (await latest(noKafka))?.kafka === 'none', { timeoutMs: 10_000, what: 'kafka none' });
      await waitFor(async () => (await latest(deadKafka))?.kafka === 'down', { timeoutMs: 20_000, what: 'kafka down' });
      await noKafka.dataSource.destroy();
      const down = await waitFor(async () => {
        const s = await latest(noKafka);
        return s?.database === 'down' ? s : undefined;
      }, { timeoutMs: 10_000, what: 'database down' });
      expect(down).toMatchObject({ connections: null, messagesInPerSecond: null, messagesOutPerSecond: null });
    } finally {
      await Promise.all([noKafka.close(), deadKafka.close()]);
    }
  });
});
