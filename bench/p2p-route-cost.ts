/**
 * What routing one P2P message to another gateway node costs (FLEETMQ_SESSION_STORE=redis),
 * without MQTT or Kafka: the presence directory's locate (one Lua script) plus the PUBLISH on the
 * holding node's channel, and the holder's decode, against a private redis-server. A reading node
 * and a holding node run in this process; the target clients are registered on the holder.
 * Reports forwarded messages/s, this process's CPU per message (both nodes' share) and
 * redis-server's CPU per message. Prints JSON; writes nothing.
 *
 *   npm run build && node dist/bench/p2p-route-cost.js [--seconds 5] [--in-flight 64] [--clients 1000]
 *   taskset -c 0 node dist/bench/p2p-route-cost.js ...   (pinned; redis-server inherits the CPU set)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '#config';
import { RedisNodeChannel, RedisPresenceDirectory, type ForwardedP2P } from '#messaging';

function option(name: string, fallback: string): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = Number(i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms on Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
  const seconds = option('seconds', '5');
  const inFlight = option('in-flight', '64');
  const clients = option('clients', '1000');
  const dir = mkdtempSync(join(tmpdir(), 'fleetmq-bench-redis-'));
  const port = await freePort();
  const redis = spawn(process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    redis.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const logger = createLogger('warn');
  const reader = new RedisPresenceDirectory({ redisUrl: url, logger, nodeId: 'bench-reader' });
  const holder = new RedisPresenceDirectory({ redisUrl: url, logger, nodeId: 'bench-holder' });
  const readerChannel = new RedisNodeChannel(url, 'bench-reader', logger);
  const holderChannel = new RedisNodeChannel(url, 'bench-holder', logger);
  let received = 0;
  await Promise.all([reader.start(), holder.start(), readerChannel.start(() => undefined), holderChannel.start(() => void received++)]);
  for (let i = 0; i < clients; i++) await holder.connected('fmq-bench', `GID_b@@@d${i}`, `t${i}`, true);
  const payload = Buffer.alloc(128, 7);
  let sent = 0;
  let running = true;
  const route = async (): Promise<void> => {
    while (running) {
      const clientId = `GID_b@@@d${sent++ % clients}`;
      const where = await reader.locate('fmq-bench', clientId);
      if (where.state !== 'online') throw new Error(`bench target ${clientId} not online: ${where.state}`);
      const msg: ForwardedP2P = { instanceId: 'fmq-bench', targetClientId: clientId, topic: `cmd/p2p/${clientId}`, qos: 1, payload };
      await readerChannel.forward(where.nodeId, msg);
    }
  };
  const cpuStart = process.cpuUsage();
  const redisCpuStart = processCpuMs(redis.pid!);
  const receivedStart = received;
  const started = Date.now();
  const workers = Array.from({ length: inFlight }, route);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await Promise.all(workers);
  const elapsedS = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const redisCpuMs = processCpuMs(redis.pid!) - redisCpuStart;
  const forwarded = received - receivedStart;
  await Promise.all([readerChannel.stop(), holderChannel.stop(), reader.stop(), holder.stop()]);
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify(
      {
        scenario: 'p2p-route-cost',
        seconds: elapsedS,
        inFlight,
        clients,
        forwardedPerSecond: Math.round(forwarded / elapsedS),
        nodeCpuUsPerMessage: Number(((cpu.user + cpu.system) / forwarded).toFixed(1)),
        redisCpuUsPerMessage: Number(((redisCpuMs * 1000) / forwarded).toFixed(1)),
        machine: { cpus: cpus().length, loadAverage: loadavg().map((l) => Number(l.toFixed(2))) },
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`p2p-route-cost failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
