// Reliability 4 — malformed input from many sockets.
// Proves: for a bounded time, many concurrent sockets sending random bytes, truncated and
// bit-flipped valid packets (mqtt-packet generate, then mutate), oversize remaining lengths,
// and garbage WebSocket frames to /mqtt do not take the gateway process down: it stays up,
// its RSS stays bounded (/proc/<pid>/status), its connection count returns to the
// well-behaved client alone, and that client, connected throughout, keeps publishing QoS 1
// and receiving its own messages with acceptable latency and no disconnect.
// The PRNG is seeded; the seed is printed so a failing run can be replayed (FUZZ_SEED=...).
//
// Structured fuzz (second describe, structured-fuzz.ts): every field of every packet type
// mutated one at a time (flags, QoS, packet ids, lengths, strings), each case followed by a
// clean and by an abrupt close (the will path runs only on the latter); the long run tries
// every value of the byte-wide fields and adds packets with several fields broken at once. The gateway process must stay up, with
// no exception even reaching the engine boundary, and a healthy client must keep working.
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait.js';
import { connectClient, endAllClients, publish, sleep, subscribe, waitForMessage } from '../helpers/mqtt.js';
import { GatewayProcess, createTestDatabase, report, runTag, scale } from './harness.js';
import { multiFieldCase, runCase, structuredCases, type CloseKind, type FuzzCase, type Outcome } from './structured-fuzz.js';

const DURATION_MS = scale(8_000, 60_000);
const WORKERS = scale(16, 48);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: small, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'random' | 'mutated-first' | 'connect-then-mutated' | 'oversize' | 'ws-frames' | 'ws-raw';
const KINDS: Kind[] = ['random', 'mutated-first', 'connect-then-mutated', 'oversize', 'ws-frames', 'ws-raw'];

class Fuzzer {
  readonly counts: Record<Kind, number> = { random: 0, 'mutated-first': 0, 'connect-then-mutated': 0, oversize: 0, 'ws-frames': 0, 'ws-raw': 0 };
  bytesSent = 0;
  closedByServer = 0;
  connacks = 0;
  openFailures = 0;

  constructor(
    private readonly rnd: () => number,
    private readonly mqttPort: number,
    private readonly wsPort: number,
  ) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  bytes(n: number): Buffer {
    // Four bytes per PRNG step: the fuzzing side must not eat the CPU the gateway needs.
    const b = Buffer.alloc(n + 3);
    for (let i = 0; i < n; i += 4) b.writeUInt32LE(Math.floor(this.rnd() * 4294967296), i);
    return b.subarray(0, n);
  }

  validPacket(): Buffer {
    const topic = ['a/b', 'fuzz/x', '$SYS/y', 'a/+/c', '#', ''][this.int(6)]!;
    const packets: mqttPacket.Packet[] = [
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: this.rnd() < 0.5, keepalive: this.int(100), clientId: `fz${this.int(1000)}` } as mqttPacket.IConnectPacket,
      {
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 10, clientId: 'fzw', username: 'Signature|x|y', password: Buffer.from('pw'),
        will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: false },
      } as mqttPacket.IConnectPacket,
      { cmd: 'publish', topic: topic || 'p', payload: this.bytes(this.int(64)), qos: 0, retain: false, dup: false } as mqttPacket.IPublishPacket,
      { cmd: 'publish', topic: topic || 'p', payload: this.bytes(this.int(64)), qos: 1, messageId: 1 + this.int(65535), retain: this.rnd() < 0.2, dup: false } as mqttPacket.IPublishPacket,
      { cmd: 'publish', topic: topic || 'p', payload: Buffer.from('q2'), qos: 2, messageId: 1 + this.int(65535), retain: false, dup: false } as mqttPacket.IPublishPacket,
      { cmd: 'subscribe', messageId: 1 + this.int(65535), subscriptions: [{ topic: topic || '#', qos: this.int(3) as 0 | 1 | 2 }] } as mqttPacket.ISubscribePacket,
      { cmd: 'unsubscribe', messageId: 1 + this.int(65535), unsubscriptions: [topic || 'u'] } as mqttPacket.IUnsubscribePacket,
      { cmd: 'puback', messageId: 1 + this.int(65535) } as mqttPacket.IPubackPacket,
      { cmd: 'pubrel', messageId: 1 + this.int(65535) } as mqttPacket.IPubrelPacket,
      { cmd: 'pingreq' } as mqttPacket.IPingreqPacket,
      { cmd: 'disconnect' } as mqttPacket.IDisconnectPacket,
    ];
    return mqttPacket.generate(packets[this.int(packets.length)]!);
  }

  mutate(packet: Buffer): Buffer {
    const out = Buffer.from(packet);
    const flips = 1 + this.int(8);
    for (let i = 0; i < flips; i++) {
      const at = this.int(out.length);
      out[at] = out[at]! ^ (1 << this.int(8));
    }
    return this.rnd() < 0.4 ? out.subarray(0, this.int(out.length)) : out;
  }

  async runFor(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const kind = KINDS[this.int(KINDS.length)]!;
      this.counts[kind]++;
      try {
        if (kind === 'ws-frames') await this.wsFrames();
        else if (kind === 'ws-raw') await this.tcpCase(this.wsPort, [this.wsGarbageUpgrade()]);
        else await this.tcpCase(this.mqttPort, this.tcpPayload(kind));
      } catch {
        this.openFailures++;
      }
    }
  }

  private tcpPayload(kind: Kind): Buffer[] {
    switch (kind) {
      case 'random':
        return [this.bytes(1 + this.int(2048))];
      case 'mutated-first':
        return [this.mutate(this.validPacket())];
      case 'connect-then-mutated': {
        const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `fz${this.int(1e6)}` } as mqttPacket.IConnectPacket);
        const rest = Array.from({ length: 1 + this.int(6) }, () => (this.rnd() < 0.3 ? this.validPacket() : this.mutate(this.validPacket())));
        return [connect, ...rest];
      }
      default: {
        // Remaining length of ~256 MB (0xFF 0xFF 0xFF 0x7F), before or after CONNECT, then a trickle.
        const header = Buffer.from([[0x30, 0x10, 0x82, 0x32][this.int(4)]!, 0xff, 0xff, 0xff, 0x7f]);
        const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `fo${this.int(1e6)}` } as mqttPacket.IConnectPacket);
        return this.rnd() < 0.5 ? [header, this.bytes(8192), this.bytes(65536)] : [connect, header, this.bytes(65536), this.bytes(65536)];
      }
    }
  }

  private wsGarbageUpgrade(): Buffer {
    const choices = [
      () => this.bytes(1 + this.int(1024)),
      () => Buffer.from(`GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.bytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`),
      () => Buffer.concat([Buffer.from(`GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.bytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`), this.bytes(1 + this.int(4096))]),
      () => Buffer.from(`GET /${'x'.repeat(this.int(20000))} HTTP/1.1\r\n${'H: v\r\n'.repeat(this.int(500))}\r\n`),
    ];
    return choices[this.int(choices.length)]!();
  }

  /** Opens, writes the chunks, then waits a little for the server to close; counts what happened. */
  private tcpCase(port: number, chunks: Buffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket: Socket = netConnect({ port, host: '127.0.0.1' });
      let settled = false;
      let serverClosed = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (serverClosed) this.closedByServer++;
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(finish, 100 + this.int(200));
      socket.on('data', (d: Buffer) => {
        if (d[0] === 0x20) this.connacks++;
      });
      socket.on('error', () => {});
      socket.once('close', () => {
        serverClosed = !settled;
        finish();
      });
      socket.once('connect', () => {
        for (const c of chunks) {
          this.bytesSent += c.length;
          socket.write(c);
        }
      });
      socket.once('error', (err) => {
        if (!socket.connecting) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** A real WebSocket to /mqtt, then binary frames of garbage and mutated packets, then raw bytes. */
  private wsFrames(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.wsPort}/mqtt`, ['mqtt']);
      const timer = setTimeout(() => ws.terminate(), 100 + this.int(200));
      ws.on('error', () => {});
      ws.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.on('open', () => {
        const frames = 1 + this.int(5);
        for (let i = 0; i < frames; i++) {
          const f = this.rnd() < 0.5 ? this.bytes(1 + this.int(512)) : this.mutate(this.validPacket());
          this.bytesSent += f.length;
          ws.send(f);
        }
        // Bytes that are not a valid frame at all (unmasked, reserved opcodes, huge lengths).
        if (this.rnd() < 0.5) {
          const raw = (ws as unknown as { _socket?: Socket })._socket;
          raw?.write(this.bytes(2 + this.int(64)));
        }
      });
    });
  }
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

describe('reliability: malformed input fuzz', () => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = new GatewayProcess({ databaseUrl: db.url, env: { FLEETMQ_CONNECT_TIMEOUT_MS: '2000' } });
    await gw.start();
  }, 60_000);

  afterAll(async () => {
    await endAllClients();
    await gw?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  it('stays up with bounded memory while a good client keeps its latency', async () => {
    const topic = `good/${runTag('t')}`;
    const good = await connectClient(gw!.mqttUrl, { clientId: runTag('good-'), keepalive: 10 });
    expect(await subscribe(good, topic, 1)).toEqual([1]);
    let goodCloses = 0;
    good.on('close', () => goodCloses++);
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    good.on('message', (_t, payload) => {
      const at = sentAt.get(payload.toString());
      if (at !== undefined) latencies.push(Date.now() - at);
    });

    await sleep(300);
    const cpuBefore = cpuMs(gw!.pid!);
    const baselineKb = gw!.rssKb();
    let peakKb = baselineKb;
    const sampler = setInterval(() => {
      if (gw!.running) peakKb = Math.max(peakKb, gw!.rssKb());
    }, 100);

    let running = true;
    let goodSent = 0;
    let goodFailed = 0;
    const goodLoop = (async () => {
      while (running) {
        const id = `m${goodSent++}`;
        sentAt.set(id, Date.now());
        await publish(good, topic, id, { qos: 1 }).catch(() => goodFailed++);
        await sleep(50);
      }
    })();

    const rootRnd = prng(SEED);
    const fuzzers = Array.from({ length: WORKERS }, () => new Fuzzer(prng(Math.floor(rootRnd() * 2 ** 31)), gw!.mqttPort, gw!.wsPort));
    await Promise.all(fuzzers.map((f) => f.runFor(DURATION_MS)));
    running = false;
    await goodLoop;
    clearInterval(sampler);

    // Garbage connections are gone once their connect timeout passed: only the good client is left.
    const connections = await waitFor(
      async () => {
        const n = await gw!.metric('fleetmq_gateway_connections');
        return n <= 1 ? { n } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'connection count back to the good client' },
    );
    await sleep(500);
    const finalKb = gw!.rssKb();
    const health = await fetch(`http://127.0.0.1:${gw!.httpPort}/health`).then((r) => r.status);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? -1;
    const total = <K extends keyof Fuzzer>(key: K) => fuzzers.reduce((n, f) => n + (f[key] as number), 0);
    const perKind = Object.fromEntries(KINDS.map((k) => [k, fuzzers.reduce((n, f) => n + f.counts[k], 0)]));
    report('fuzz', {
      seed: SEED,
      durationMs: DURATION_MS,
      workers: WORKERS,
      cases: perKind,
      bytesSentMb: +(total('bytesSent') / 1024 / 1024).toFixed(1),
      closedByServer: total('closedByServer'),
      connacks: total('connacks'),
      openFailures: total('openFailures'),
      protocolViolations: await gw!.metric('fleetmq_gateway_protocol_violations_total'),
      goodSent,
      goodReceived: latencies.length,
      goodFailed,
      goodCloses,
      latencyP50Ms: pct(0.5),
      latencyP99Ms: pct(0.99),
      latencyMaxMs: sorted[sorted.length - 1],
      connectionsAfter: connections?.n,
      gatewayCpuMs: cpuMs(gw!.pid!) - cpuBefore,
      rssBaselineMb: Math.round(baselineKb / 1024),
      rssPeakMb: Math.round(peakKb / 1024),
      rssFinalMb: Math.round(finalKb / 1024),
      health,
    });
    expect(gw!.running).toBe(true);
    expect(health).toBe(200);
    expect(goodCloses).toBe(0);
    expect(goodFailed).toBe(0);
    expect(latencies.length).toBe(goodSent);
    expect(pct(0.99)).toBeLessThan(1_000);
    expect(peakKb - baselineKb).toBeLessThan(256 * 1024);
    expect(finalKb - baselineKb).toBeLessThan(128 * 1024);
  }, 180_000);
});

describe('reliability: structured fuzz of every packet field', () => {
  const MULTI_FIELD_MS = scale(0, 90_000);
  const CONCURRENCY = 8;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A small payload limit so the oversize cases cost little.
    gw = new GatewayProcess({ databaseUrl: db.url, env: { FLEETMQ_CONNECT_TIMEOUT_MS: '2000', FLEETMQ_MAX_PAYLOAD_BYTES: '1024' } });
    await gw.start();
  }, 60_000);

  afterAll(async () => {
    await endAllClients();
    await gw?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  /** Runs the jobs over CONCURRENCY sockets at a time; counts outcomes. */
  async function runAll(jobs: Array<{ c: FuzzCase; close: CloseKind }>, outcomes: Record<Outcome, number>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length && gw!.running) {
        const { c, close } = jobs[next++]!;
        outcomes[await runCase(gw!.mqttPort, c, close)]++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it('stays up, contains nothing, and a healthy client keeps working', async () => {
    const healthyTopic = `good/${runTag('s')}`;
    const healthy = await connectClient(gw!.mqttUrl, { clientId: runTag('healthy-'), keepalive: 30 });
    // A '#' subscriber: deliveries (and wills) of the fuzzed connections go through the forward path.
    const watcher = await connectClient(gw!.mqttUrl, { clientId: runTag('watch-'), keepalive: 30 });
    expect(await subscribe(healthy, healthyTopic, 1)).toEqual([1]);
    expect(await subscribe(watcher, '#', 1)).toEqual([1]);
    let closes = 0;
    healthy.on('close', () => closes++);
    watcher.on('close', () => closes++);
    let watched = 0;
    watcher.on('message', () => watched++);

    const { cases, generators } = structuredCases(scale(false, true));
    const jobs = cases.flatMap((c) => (['clean', 'abrupt'] as const).map((close) => ({ c, close })));
    const outcomes: Record<Outcome, number> = { 'closed-by-server': 0, answered: 0, silent: 0, 'connect-refused': 0 };
    const t0 = Date.now();
    await runAll(jobs, outcomes);
    let multiField = 0;
    if (MULTI_FIELD_MS > 0) {
      const rnd = prng(SEED);
      const end = Date.now() + MULTI_FIELD_MS;
      while (Date.now() < end && gw!.running) {
        const batch = Array.from({ length: 64 }, (_, i) => ({ c: multiFieldCase(rnd, generators), close: (i % 2 === 0 ? 'clean' : 'abrupt') as CloseKind }));
        multiField += batch.length;
        await runAll(batch, outcomes);
      }
    }
    const elapsedMs = Date.now() - t0;
    if (!gw!.running) throw new Error(`the gateway process ended during the structured fuzz; its last output:\n${gw!.logTail}`);

    const connections = await waitFor(
      async () => {
        const n = await gw!.metric('fleetmq_gateway_connections');
        return n <= 2 ? { n } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'connection count back to the two good clients' },
    );
    const arrival = waitForMessage(healthy, healthyTopic, 10_000);
    await publish(healthy, healthyTopic, 'after the fuzz', { qos: 1 });
    expect((await arrival).payload.toString()).toBe('after the fuzz');
    const health = await fetch(`http://127.0.0.1:${gw!.httpPort}/health`).then((r) => r.status);
    const internalErrors = await gw!.metric('fleetmq_gateway_internal_errors_total');
    report('structured-fuzz', {
      seed: SEED,
      fieldCases: cases.length,
      sockets: jobs.length + multiField,
      multiField,
      elapsedMs,
      outcomes,
      protocolViolations: await gw!.metric('fleetmq_gateway_protocol_violations_total'),
      internalErrors,
      watcherMessages: watched,
      connectionsAfter: connections?.n,
      goodCloses: closes,
      health,
    });
    expect(health).toBe(200);
    expect(closes).toBe(0);
    // The gateway refused what it had to by its checks, not by containing an exception.
    expect(internalErrors).toBe(0);
    expect(outcomes['closed-by-server']).toBeGreaterThan(0);
    expect(outcomes.answered).toBeGreaterThan(0);
  }, scale(180_000, 600_000));
});

