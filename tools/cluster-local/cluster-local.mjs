// `npm run cluster:local`: the docker-compose topology as local processes on this machine, for
// trying scale-out by hand: N gateway nodes, console, rule router, a Redis of its own and haproxy
// (TCP) in front, on this machine's PostgreSQL and a Kafka from KAFKA_BROKERS or tools/kafka.
// Runs in the foreground; Ctrl-C or `npm run cluster:local -- stop` stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STATE_DIR = process.env.FLEETMQ_CLUSTER_DIR ?? path.join(ROOT, '.tools/cluster-local');
const STATE_FILE = path.join(STATE_DIR, 'cluster.json');
const say = (line) => process.stdout.write(`[cluster] ${line}\n`);

function fail(message) {
  process.stderr.write(`cluster:local: ${message}\n`);
  process.exit(2);
}

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${name}="${raw}": expected a port or count (integer 0-65535)`);
  return n;
}

// Ports are picked below Linux's ephemeral range (32768-60999): a port the kernel hands out for
// listen(0) can become the source port of an outgoing connection (a gateway connects to Kafka,
// Redis and PostgreSQL before it binds its own ports) before the process meant to bind it does.
// The same picker as test/reliability/harness.ts (this script runs unbuilt, without the tests).
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

async function freePort() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
    if (await bindable(port)) return port;
  }
  fail(`no free port between ${PICK_FROM} and ${PICK_TO} on 127.0.0.1`);
}

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const ready = (port) => async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200;

/** `stop`: the running supervisor gets SIGTERM and stops its children itself. */
async function stop() {
  if (!existsSync(STATE_FILE)) {
    say('no local cluster is running');
    return;
  }
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8'));
  if (alive(state.supervisor)) process.kill(state.supervisor, 'SIGTERM');
  await waitUntil(() => !alive(state.supervisor), 60_000, `the cluster supervisor (pid ${state.supervisor}) to exit`);
  say('stopped');
}

async function databaseUrl() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const admin = process.env.FLEETMQ_CLUSTER_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    fail(`no DATABASE_URL and the local PostgreSQL (${admin}) does not answer: ${err.message}`);
  }
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'fleetmq_cluster'`);
    if (rowCount === 0) await client.query('CREATE DATABASE fleetmq_cluster');
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = '/fleetmq_cluster';
  return url.toString();
}

function kafkaBrokers() {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  say('no KAFKA_BROKERS: starting tools/kafka (left running on exit; `npm run kafka:stop`)');
  const out = spawnSync('bash', [path.join(ROOT, 'tools/kafka/start.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const m = /^KAFKA_BROKERS=(\S+)$/m.exec(out.stdout ?? '');
  if (out.status !== 0 || !m) fail('tools/kafka/start.sh did not start Kafka (set KAFKA_BROKERS to use a running one)');
  return m[1];
}

function haproxyConfig(mqttPort, wsPort, nodes) {
  const servers = (kind) => nodes.map((n, i) => `  server gw${i + 1} 127.0.0.1:${n[kind]} check port ${n.http} inter 1s fall 1 rise 2`).join('\n');
  return `# generated by tools/cluster-local: TCP balancing over the local gateway nodes, checked on /health/ready
global
  # Within the usual open-files limit of a shell (haproxy refuses to start above it).
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
frontend mqtt
  bind 127.0.0.1:${mqttPort}
  default_backend gateways_mqtt
frontend mqtt_ws
  bind 127.0.0.1:${wsPort}
  default_backend gateways_ws
backend gateways_mqtt
  balance leastconn
  option httpchk GET /health/ready
  http-check expect status 200
${servers('mqtt')}
backend gateways_ws
  balance leastconn
  option httpchk GET /health/ready
  http-check expect status 200
${servers('ws')}
`;
}

async function start() {
  if (existsSync(STATE_FILE) && alive(JSON.parse(readFileSync(STATE_FILE, 'utf8')).supervisor)) fail(`a local cluster is already running (${STATE_FILE}); stop it first`);
  for (const tool of ['haproxy', 'redis-server']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) fail(`${tool} is not installed (Debian: apt-get install ${tool === 'haproxy' ? 'haproxy' : 'redis-server'})`);
  }
  const nodeCount = intFromEnv('FLEETMQ_CLUSTER_NODES', 2);
  if (nodeCount < 1) fail('FLEETMQ_CLUSTER_NODES: at least 1');
  const mqttPort = intFromEnv('FLEETMQ_CLUSTER_MQTT_PORT', 1884);
  const wsPort = intFromEnv('FLEETMQ_CLUSTER_WS_PORT', 8083);
  const consolePort = intFromEnv('FLEETMQ_CLUSTER_CONSOLE_PORT', 8080);

  if (process.env.FLEETMQ_CLUSTER_SKIP_BUILD !== '1') {
    say('building once (npm run build)');
    if (spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) fail('the build failed');
  }
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });

  const children = [];
  let stopping = false;
  const launch = (name, command, args, env = {}) => {
    const log = openSync(path.join(STATE_DIR, `${name}.log`), 'a');
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    closeSync(log);
    children.push({ name, child });
    child.once('exit', (code, signal) => {
      if (!stopping) say(`${name} exited (${signal ?? code}); see ${path.join(STATE_DIR, `${name}.log`)}`);
    });
    return child;
  };
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    // haproxy first (no new clients), then the nodes drain, then the rest.
    for (const { name, child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      say(`${name} stopped`);
    }
    rmSync(STATE_FILE, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const DATABASE_URL = await databaseUrl();
    const KAFKA_BROKERS = kafkaBrokers();
    const redisPort = await freePort();
    launch('redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', STATE_DIR]);
    const shared = {
      DATABASE_URL,
      KAFKA_BROKERS,
      // Shared MQTT state: subscriptions, persistent sessions, retained messages (docs/SCALING.md).
      FLEETMQ_SESSION_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      // The nodes share one downlink group; a tier of its own per run, so two runs on one Kafka never read each other's records.
      FLEETMQ_DOWNLINK_GROUP: `fleetmq-gateway-downlink-local-${randomBytes(4).toString('hex')}`,
      FLEETMQ_MASTER_KEY: process.env.FLEETMQ_MASTER_KEY ?? randomBytes(32).toString('hex'),
      FLEETMQ_ADMIN_TOKEN: process.env.FLEETMQ_ADMIN_TOKEN ?? randomBytes(16).toString('hex'),
      FLEETMQ_BIND_HOST: '127.0.0.1',
      FLEETMQ_ALLOW_ANONYMOUS: process.env.FLEETMQ_ALLOW_ANONYMOUS ?? 'true',
    };
    const nodes = [];
    for (let i = 1; i <= nodeCount; i++) {
      const node = { id: `local-gw-${i}`, mqtt: await freePort(), ws: await freePort(), http: await freePort(), mqtts: await freePort() };
      launch(`gateway-${i}`, process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/main.js')], {
        ...shared,
        FLEETMQ_NODE_ID: node.id,
        FLEETMQ_MQTT_PORT: String(node.mqtt),
        FLEETMQ_WS_PORT: String(node.ws),
        FLEETMQ_MQTTS_PORT: String(node.mqtts),
        FLEETMQ_HTTP_PORT: String(node.http),
      });
      // The first node migrates the database: the next ones start once it is ready.
      await waitUntil(ready(node.http), 90_000, `gateway-${i} readiness`);
      nodes.push(node);
    }
    const routerHttp = await freePort();
    launch('rule-router', process.execPath, [path.join(ROOT, 'dist/apps/rule-router/src/main.js')], { ...shared, FLEETMQ_NODE_ID: 'local-router', FLEETMQ_HTTP_PORT: String(routerHttp) });
    launch('console', process.execPath, [path.join(ROOT, 'dist/apps/console/src/main.js')], { ...shared, FLEETMQ_NODE_ID: 'local-console', FLEETMQ_HTTP_PORT: String(consolePort) });
    await waitUntil(ready(consolePort), 90_000, 'console readiness');
    const cfg = path.join(STATE_DIR, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(mqttPort, wsPort, nodes));
    const haproxy = launch('haproxy', 'haproxy', ['-db', '-f', cfg]);
    await waitUntil(() => haproxy.exitCode === null && accepts(mqttPort), 30_000, `haproxy on 127.0.0.1:${mqttPort}`);

    writeFileSync(STATE_FILE, JSON.stringify({ supervisor: process.pid, pids: children.map((c) => c.child.pid), mqttPort, wsPort, consolePort, adminToken: shared.FLEETMQ_ADMIN_TOKEN }, null, 2));
    say(`MQTT (haproxy, TCP) 127.0.0.1:${mqttPort}   MQTT over WebSocket ws://127.0.0.1:${wsPort}/mqtt`);
    say(`console http://127.0.0.1:${consolePort}/ (admin token ${shared.FLEETMQ_ADMIN_TOKEN})   GET /api/v1/nodes lists the gateway nodes`);
    for (const n of nodes) say(`${n.id}: MQTT 127.0.0.1:${n.mqtt}, ready http://127.0.0.1:${n.http}/health/ready`);
    say(`rule router: http://127.0.0.1:${routerHttp}/health   Redis 127.0.0.1:${redisPort} (FLEETMQ_SESSION_STORE=redis)`);
    say(`PostgreSQL ${DATABASE_URL}   Kafka ${KAFKA_BROKERS}   logs ${STATE_DIR}`);
    say('cluster ready: Ctrl-C or `npm run cluster:local -- stop` stops it');
  } catch (err) {
    process.stderr.write(`cluster:local: ${err.message}\n`);
    await shutdown(1);
  }
}

if (process.argv[2] === 'stop') await stop();
else if (process.argv[2] === undefined || process.argv[2] === 'start') await start();
else fail(`unknown command "${process.argv[2]}": start (default) or stop`);
