// Issue 11, graceful drain: SIGTERM on a standalone gateway process under QoS 1 load from
// several MQTT.js clients, against the shared test Kafka and PostgreSQL.
import { connect as tcpConnect } from 'node:net';
import { UPLINK_TOPIC } from '#messaging';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';
import { GatewayProcess, QosLoad, auditUplink, createTestDatabase, report, runTag, scale, topicEnds } from './harness.js';

const CLIENTS = scale(6, 20);
const WINDOW_MS = scale(3_000, 10_000);

/** Resolves with the error code of a TCP connect to `port` (undefined when it connects). */
function tcpConnectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describeWithKafka('reliability: graceful drain of a gateway process on SIGTERM', () => {
  const brokers = kafkaBrokers()!;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let gw: GatewayProcess | undefined;
  let load: QosLoad | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);

  afterAll(async () => {
    await load?.end();
    await gw?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  // Proves: on SIGTERM the node turns not-ready and refuses new connections at once, closes its
  // clients one by one spread over FLEETMQ_DRAIN_WINDOW_MS (not all at once), every message it
  // PUBACKed is in Kafka, and it exits 0.
  it('stops accepting at once, closes clients over the window, loses no acknowledged message, exits 0', async () => {
    const from = await topicEnds(brokers, UPLINK_TOPIC);
    gw = new GatewayProcess({ databaseUrl: db!.url, kafkaBrokers: brokers, env: { FLEETMQ_DRAIN_WINDOW_MS: String(WINDOW_MS) } });
    await gw.start();
    const tag = runTag('gd');
    load = new QosLoad({ url: gw.mqttUrl, clients: CLIENTS, tag, window: 16, intervalMs: 4, reconnectPeriod: 0 });
    await load.start();
    const closedAt: number[] = [];
    for (const c of load.clients) c.client.once('close', () => closedAt.push(Date.now()));
    await waitFor(() => load!.acked >= scale(300, 3_000), { timeoutMs: 60_000, what: 'PUBACKs before SIGTERM' });

    const readyUrl = `http://127.0.0.1:${gw.httpPort}/health/ready`;
    expect((await fetch(readyUrl)).status).toBe(200);
    const signalledAt = Date.now();
    const exit = gw.stop('SIGTERM', WINDOW_MS + 30_000);

    // Readiness turns 503 (naming the drain) while clients are still connected, and the MQTT port refuses.
    const notReady = await waitFor(
      async () => {
        const res = await fetch(readyUrl).catch(() => undefined);
        return res?.status === 503 ? ((await res.json()) as { checks: Record<string, { status: string }> }) : undefined;
      },
      { timeoutMs: 5_000, what: 'readiness 503 after SIGTERM' },
    );
    expect(notReady.checks.accepting?.status).toBe('down');
    expect(await tcpConnectError(gw.mqttPort)).toBe('ECONNREFUSED');
    const closedWhenRefusing = closedAt.length;
    expect(closedWhenRefusing).toBeLessThan(CLIENTS);

    const code = await exit;
    const stopMs = Date.now() - signalledAt;
    await waitFor(() => closedAt.length === CLIENTS, { timeoutMs: 5_000, what: 'every client to see its connection closed' });
    await load.end();

    closedAt.sort((a, b) => a - b);
    const spreadMs = closedAt[CLIENTS - 1]! - closedAt[0]!;
    // The largest number of clients closed within any 100 ms: a drain closes them one by one.
    let burst = 0;
    for (let i = 0, j = 0; i < CLIENTS; i++) {
      while (closedAt[i]! - closedAt[j]! > 100) j++;
      burst = Math.max(burst, i - j + 1);
    }

    const acked = load.ackedIds();
    const audit = await auditUplink(brokers, UPLINK_TOPIC, tag, acked, { from });
    report('gateway-drain', {
      clients: CLIENTS,
      windowMs: WINDOW_MS,
      sent: load.sent,
      acked: acked.size,
      kafkaRecords: audit.records,
      missing: audit.missing.length,
      duplicates: audit.duplicates,
      closeSpreadMs: spreadMs,
      largestCloseBurst100ms: burst,
      closedWhenRefusing,
      exitCode: code,
      stopMs,
    });
    expect(code).toBe(0);
    expect(audit.missing).toEqual([]);
    expect(spreadMs).toBeGreaterThanOrEqual(WINDOW_MS * 0.5);
    expect(burst).toBeLessThanOrEqual(Math.ceil(CLIENTS / 2));
    expect(stopMs).toBeGreaterThanOrEqual(WINDOW_MS * 0.5);
  }, 180_000);
});
