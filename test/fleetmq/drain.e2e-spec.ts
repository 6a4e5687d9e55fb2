// Issue 11, graceful drain in the all-in-one process: SIGTERM closes its MQTT clients over
// FLEETMQ_DRAIN_WINDOW_MS; Ctrl-C (SIGINT) still closes them at once and exits promptly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { AllInOneProcess, allInOneEnv, freeAllInOnePorts, removeDataDir } from '../helpers/fleetmq-process.js';
import { connectClient } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';
import { createTestDatabase } from '../reliability/harness.js';

const CLIENTS = 4;
const WINDOW_MS = 2_000;

describeWithKafka('all-in-one: SIGTERM drains the gateway over the window, SIGINT does not', () => {
  const brokers = kafkaBrokers()!;
  let db: { url: string; drop(): Promise<void> } | undefined;
  const dataDirs: string[] = [];
  const processes: AllInOneProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);

  afterAll(async () => {
    for (const p of processes) if (p.running) p.child.kill('SIGKILL');
    for (const dir of dataDirs) await removeDataDir(dir);
    await db?.drop();
  }, 60_000);

  /** Starts the all-in-one with `FLEETMQ_DRAIN_WINDOW_MS`, connects the clients, sends `signal`; close times and exit. */
  async function stopWith(signal: NodeJS.Signals): Promise<{ closedAt: number[]; signalledAt: number; code: number | null }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleetmq-drain-'));
    dataDirs.push(dataDir);
    const ports = await freeAllInOnePorts();
    const env = allInOneEnv(dataDir, ports, {
      DATABASE_URL: db!.url,
      KAFKA_BROKERS: brokers.join(','),
      FLEETMQ_ALLOW_ANONYMOUS: 'true',
      FLEETMQ_DRAIN_WINDOW_MS: String(WINDOW_MS),
      LOG_LEVEL: 'warn',
    });
    const fleetmq = AllInOneProcess.start(env);
    processes.push(fleetmq);
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
    const closedAt: number[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connectClient(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: `drain-${signal}-${i}` });
      client.once('close', () => closedAt.push(Date.now()));
    }
    const signalledAt = Date.now();
    fleetmq.child.kill(signal);
    const code = await fleetmq.waitForExit(30_000);
    await waitFor(() => closedAt.length === CLIENTS, { timeoutMs: 5_000, what: 'every client closed' });
    closedAt.sort((a, b) => a - b);
    return { closedAt, signalledAt, code };
  }

  // Proves: with a window set, SIGTERM on the all-in-one closes its clients spread over it and exits 0.
  it('SIGTERM closes the clients spread over FLEETMQ_DRAIN_WINDOW_MS and exits 0', async () => {
    const { closedAt, code } = await stopWith('SIGTERM');
    expect(code).toBe(0);
    expect(closedAt[CLIENTS - 1]! - closedAt[0]!).toBeGreaterThanOrEqual(WINDOW_MS * 0.5);
  }, 180_000);

  // Proves: Ctrl-C ignores the window: every client is closed at once and the process exits promptly (130).
  it('SIGINT closes every client at once and exits promptly', async () => {
    const { closedAt, signalledAt, code } = await stopWith('SIGINT');
    expect(code).toBe(130);
    expect(closedAt[CLIENTS - 1]! - closedAt[0]!).toBeLessThan(WINDOW_MS * 0.5);
    expect(closedAt[CLIENTS - 1]! - signalledAt).toBeLessThan(WINDOW_MS);
  }, 180_000);
});
