// Issue 11, "runs here": `npm run cluster:local` (tools/cluster-local) starts two gateway nodes,
// console, rule router, Redis and haproxy as local processes; a client through haproxy reaches
// Kafka, the console lists both nodes, and `stop` leaves no process behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPLINK_TOPIC } from '#messaging';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { connectClient, endClient, publish } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import { auditUplink, createTestDatabase, freePort, runTag, topicEnds } from '../reliability/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'tools/cluster-local/cluster-local.mjs');
const ADMIN_TOKEN = 'cluster-local-admin-token-0123456789';
const haveHaproxy = spawnSync('sh', ['-c', 'command -v haproxy && command -v redis-server']).status === 0;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

(haveHaproxy ? describeWithKafka : describe.skip)('npm run cluster:local: two nodes behind haproxy', () => {
  const brokers = kafkaBrokers() ?? [];
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetmq-cluster-'));
  let db: { url: string; drop(): Promise<void> } | undefined;
  let pids: number[] = [];

  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // Proves: the script starts the topology and prints where it listens; QoS 1 through haproxy
  // lands in Kafka; GET /api/v1/nodes lists 2 live nodes; `stop` ends every process it started.
  it('starts, serves MQTT through haproxy into Kafka, lists 2 nodes, stops every process', async () => {
    db = await createTestDatabase();
    const [mqttPort, wsPort, consolePort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers.join(','),
      FLEETMQ_ADMIN_TOKEN: ADMIN_TOKEN,
      FLEETMQ_CLUSTER_DIR: dir,
      FLEETMQ_CLUSTER_SKIP_BUILD: '1', // the test run has built already
      FLEETMQ_CLUSTER_MQTT_PORT: String(mqttPort),
      FLEETMQ_CLUSTER_WS_PORT: String(wsPort),
      FLEETMQ_CLUSTER_CONSOLE_PORT: String(consolePort),
      LOG_LEVEL: 'warn',
    };
    const supervisor = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    supervisor.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    supervisor.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
    await waitFor(() => output.includes('cluster ready') || supervisor.exitCode !== null, { timeoutMs: 90_000, intervalMs: 200, what: () => `cluster ready:\n${output}` });
    expect(output).toContain('cluster ready');
    expect(output).toContain(`MQTT (haproxy, TCP) 127.0.0.1:${mqttPort}`);
    pids = [supervisor.pid!, ...(JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { pids: number[] }).pids];
    expect(pids.length).toBe(1 + 6); // redis, 2 gateways, rule router, console, haproxy

    const from = await topicEnds(brokers, UPLINK_TOPIC);
    const tag = runTag('cl');
    const client = await connectClient(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `${tag}-c` });
    await publish(client, `cluster/${tag}`, `${tag}|0|0`, { qos: 1 });
    await endClient(client);
    const audit = await auditUplink(brokers, UPLINK_TOPIC, tag, new Set(['0|0']), { from });
    expect(audit.missing).toEqual([]);

    const nodes = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${consolePort}/api/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        const items = ((await res.json()) as { items: Array<{ nodeId: string; live: boolean }> }).items.filter((n) => n.live);
        return items.length === 2 ? items : undefined;
      },
      { timeoutMs: 20_000, what: '2 live nodes' },
    );
    expect(nodes.map((n) => n.nodeId).sort()).toEqual(['local-gw-1', 'local-gw-2']);

    // Not spawnSync: this process must go on reading the supervisor's output while it stops.
    const stopper = spawn(process.execPath, [SCRIPT, 'stop'], { cwd: ROOT, env, stdio: 'ignore' });
    const stopCode = await new Promise<number | null>((resolve) => stopper.once('exit', (code) => resolve(code)));
    expect({ stopCode, output }).toEqual({ stopCode: 0, output: expect.stringContaining('[cluster] redis stopped') });
    expect(await exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 150_000);
});
