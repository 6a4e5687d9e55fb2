// The all-in-one process (`npm start`'s dist/apps/fleetmq/src/main.js) as a user runs it: its own
// embedded PostgreSQL in a fresh data dir, Kafka from KAFKA_BROKERS, loopback ports chosen here.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './kafka.js';

export interface FleetMqProcess {
  httpUrl: string;
  ports: { http: number; mqtt: number; ws: number };
  adminToken: string;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startFleetMq(env: Record<string, string> = {}, adminToken = 'e2e-admin-token-0123456789'): Promise<FleetMqProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetmq-e2e-'));
  const ports = { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FLEETMQ_DATA_DIR: dataDir,
    FLEETMQ_HTTP_PORT: String(ports.http),
    FLEETMQ_MQTT_PORT: String(ports.mqtt),
    FLEETMQ_WS_PORT: String(ports.ws),
    FLEETMQ_MQTTS_PORT: '0',
    FLEETMQ_BIND_HOST: '127.0.0.1',
    FLEETMQ_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'warn',
    ...env,
  };
  delete childEnv.DATABASE_URL;
  delete childEnv.FLEETMQ_MASTER_KEY;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['dist/apps/fleetmq/src/main.js'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => output.includes('FleetMQ ready') || child.exitCode !== null, { timeoutMs: 120_000, intervalMs: 200, what: 'FleetMQ ready' });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; process output:\n${output}`);
  }
  if (child.exitCode !== null) {
    await stop();
    throw new Error(`FleetMQ exited with ${child.exitCode}:\n${output}`);
  }
  return { httpUrl: `http://127.0.0.1:${ports.http}`, ports, adminToken, output: () => output, stop };
}
