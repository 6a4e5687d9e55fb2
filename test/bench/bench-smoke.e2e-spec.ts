import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { fanIn } from '../../bench/lib/load.js';

/**
 * Keeps the benchmark's load generator honest: against a fake broker that withholds some
 * PUBACKs and sends stray ones, its counts must equal what the broker really did; then a
 * `--quick` run against Mosquitto (when one listens on 1883) and bare aedes must produce
 * consistent figures.
 */

interface FakeBroker {
  server: Server;
  port: number;
  publishes: number;
  pubacks: number;
  withheld: number;
  stray: number;
}

/** Answers CONNACK, then PUBACK to every QoS 1 PUBLISH except ids divisible by 7; one stray PUBACK per client. */
async function fakeBroker(): Promise<FakeBroker> {
  const state = { publishes: 0, pubacks: 0, withheld: 0, stray: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = mqttPacket.parser();
    socket.on('data', (d) => parser.parse(d));
    parser.on('packet', (p) => {
      if (p.cmd === 'connect') {
        socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      } else if (p.cmd === 'publish' && p.qos === 1) {
        state.publishes++;
        if (p.messageId === 1) {
          // An id this publisher has not used: must be counted as unexpected, not as an ack.
          socket.write(mqttPacket.generate({ cmd: 'puback', messageId: 60_000 }));
          state.stray++;
        }
        if ((p.messageId ?? 0) % 7 === 0) state.withheld++;
        else {
          state.pubacks++;
          socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const closeAll = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return closeAll(cb);
  }) as typeof server.close;
  return Object.assign(state, { server, port }) as FakeBroker;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('benchmark load generator', () => {
  it('counts exactly the PUBACKs it got (withheld and stray ones included)', async () => {
    const broker = await fakeBroker();
    try {
      const clients = 5;
      const r = await fanIn({
        host: '127.0.0.1', port: broker.port, clients, idPrefix: 'smoke-', localAddresses: ['127.0.0.1'], auth: { mode: 'none' },
        qos: 1, payloadBytes: 64, inflight: 10, topic: 'smoke/{id}', warmupMs: 200, durationMs: 800, drainMs: 500, runTag: 1,
      });
      expect(r.sent).toBe(broker.publishes);
      expect(r.acked).toBe(broker.pubacks);
      expect(r.unexpectedAcks).toBe(broker.stray);
      expect(r.unexpectedAcks).toBe(clients);
      expect(r.outstandingAfterDrain).toBe(broker.withheld);
      expect(r.sent).toBe(r.acked + r.outstandingAfterDrain);
      expect(r.windowCount).toBeLessThanOrEqual(r.acked);
      // Withheld ids stall a window slot each: the run still made progress through the others.
      expect(r.acked).toBeGreaterThan(0);
    } finally {
      await new Promise((r) => broker.server.close(r));
    }
  });

  it('--quick against the peers writes consistent JSON results', async () => {
    const runJs = join(process.cwd(), 'dist/bench/run.js');
    if (!existsSync(runJs)) throw new Error('dist/bench/run.js missing: run `npm run build` first');
    const targets = ['aedes', ...((await portOpen(1883)) ? ['mosquitto'] : [])];
    const out = mkdtempSync(join(tmpdir(), 'fleetmq-bench-smoke-'));
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, [runJs, '--quick', '--targets', targets.join(','), '--scenarios', 'fan-in,connections', '--out', out],
          { timeout: 55_000, maxBuffer: 16 * 1024 * 1024 },
          (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr.slice(-3000)}`)) : resolve()));
      });
      const file = readdirSync(out).find((f) => f.endsWith('.json'));
      expect(file).toBeDefined();
      const report = JSON.parse(readFileSync(join(out, file as string), 'utf8')) as {
        failures: unknown[];
        measurements: Array<{ target: string; scenario: string; median: Record<string, number>; info: Record<string, unknown> }>;
      };
      expect(report.failures).toEqual([]);
      for (const target of targets) {
        const q1 = report.measurements.find((m) => m.target === target && m.scenario === 'fan-in-qos1');
        expect(q1).toBeDefined();
        expect(q1?.median.perSec).toBeGreaterThan(0);
        expect(q1?.median.ackP50Ms).toBeLessThanOrEqual(q1?.median.ackP99Ms ?? 0);
        for (const e of q1?.info.exactness as Array<Record<string, number>>) {
          expect(e.unexpectedAcks).toBe(0);
          expect(e.outstandingAfterDrain).toBe(0);
          expect(e.acked).toBe(e.sent);
        }
        const conn = report.measurements.find((m) => m.target === target && m.scenario === 'connections');
        expect(conn?.median.connections).toBe(1000);
        expect(conn?.median.stillOpenAfterIdle).toBe(1000);
        // Mosquitto is a long-running shared process whose allocator may reuse freed memory.
        if (target === 'aedes') expect(conn?.median.bytesPerConnection).toBeGreaterThan(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
