import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../reliability/harness.js';

// The all-in-one start with FLEETMQ_ADMIN_TOKEN given: the operator's own secret must not be
// printed or logged (a generated one is printed: see embedded-start.e2e-spec.ts).
describe('all-in-one start with FLEETMQ_ADMIN_TOKEN', () => {
  let child: ChildProcess;
  let dataDir: string;
  let output = '';
  let httpPort = 0;
  const adminToken = `operator-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fleetmq-admin-token-'));
    httpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLEETMQ_DATA_DIR: dataDir,
      FLEETMQ_ADMIN_TOKEN: adminToken,
      FLEETMQ_HTTP_PORT: String(httpPort),
      FLEETMQ_MQTT_PORT: String(await freePort()),
      FLEETMQ_WS_PORT: String(await freePort()),
      FLEETMQ_BIND_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    };
    delete env.DATABASE_URL;
    delete env.FLEETMQ_MASTER_KEY;
    child = spawn(process.execPath, ['dist/apps/fleetmq/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('FleetMQ ready') || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 200, what: 'FleetMQ ready' });
    if (child.exitCode !== null) throw new Error(`FleetMQ exited with ${child.exitCode}:\n${output}`);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('does not print or log the token, says where it comes from, and the API accepts it', async () => {
    expect(output).not.toContain(adminToken);
    expect(output).toContain('Admin token: the one set in FLEETMQ_ADMIN_TOKEN');
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/instances`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(200);
  });
});
