import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../helpers/wait.js';

// `npm start`'s embedded mode as a user runs it: no DATABASE_URL, so a real embedded PostgreSQL
// is initialised in a fresh data dir; Kafka is the test broker (KAFKA_BROKERS from the global setup).
describe('embedded all-in-one start (npm start)', () => {
  let child: ChildProcess;
  let dataDir: string;
  let output = '';
  const ports = { http: 0, mqtt: 0, ws: 0 };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fleetmq-embedded-'));
    ports.http = await freePort();
    ports.mqtt = await freePort();
    ports.ws = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLEETMQ_DATA_DIR: dataDir,
      FLEETMQ_HTTP_PORT: String(ports.http),
      FLEETMQ_MQTT_PORT: String(ports.mqtt),
      FLEETMQ_WS_PORT: String(ports.ws),
      FLEETMQ_BIND_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;
    delete env.FLEETMQ_ADMIN_TOKEN;
    delete env.FLEETMQ_MASTER_KEY;
    child = spawn(process.execPath, ['dist/apps/fleetmq/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('FleetMQ ready') || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 200, what: () => `FleetMQ ready; process output:\n${output}` });
    if (child.exitCode !== null) throw new Error(`FleetMQ exited with ${child.exitCode}:\n${output}`);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('generates and persists an admin token, prints it, and serves the API with it', async () => {
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(output).toContain(token);
    const base = `http://127.0.0.1:${ports.http}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/instances`)).status).toBe(401);
    const created = await fetch(`${base}/api/v1/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `embedded-${Date.now()}` }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string };
    expect(body.id).toMatch(/^fmq-[a-z0-9]{6,}$/);
  });

  it('is a plain MQTT broker for anonymous clients', async () => {
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
    try {
      await sub.subscribeAsync('demo/#', { qos: 1 });
      const received = new Promise<string>((resolve) => sub.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await pub.publishAsync('demo/hello', 'hi', { qos: 1 });
      await expect(received).resolves.toBe('demo/hello hi');
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
