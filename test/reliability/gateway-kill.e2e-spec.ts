// Reliability 2 and 7 — the gateway process itself dies (SIGKILL) or is stopped (SIGTERM)
// under QoS 1 load, against the shared test Kafka.
import { UPLINK_TOPIC } from '#messaging';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';
import { sleep } from '../helpers/mqtt.js';
import { GatewayProcess, QosLoad, auditUplink, createTestDatabase, report, runTag, scale, topicEnds } from './harness.js';

const CLIENTS = scale(4, 8);

describeWithKafka('reliability: gateway process killed or stopped under QoS 1 load', () => {
  const brokers = kafkaBrokers()!;
  let db: { url: string; drop(): Promise<void> } | undefined;
  const gateways: GatewayProcess[] = [];
  const loads: QosLoad[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);

  afterAll(async () => {
    for (const load of loads) await load.end();
    for (const gw of gateways) await gw.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  // Proves: SIGKILL of the gateway (nothing flushed, no DISCONNECT, no drain) followed by a
  // restart on the same port loses no acknowledged message. MQTT.js clients reconnect by
  // themselves (reconnectPeriod) and resend what was not acknowledged; every PUBACKed id is
  // in Kafka (missing = 0) and the resends show up as counted duplicates.
  it('SIGKILL + restart on the same port: clients reconnect, nothing acknowledged is missing', async () => {
    const cycles = scale(1, 3);
    const from = await topicEnds(brokers, UPLINK_TOPIC);
    const gw = new GatewayProcess({ databaseUrl: db!.url, kafkaBrokers: brokers });
    gateways.push(gw);
    await gw.start();
    const tag = runTag('gk');
    const load = new QosLoad({ url: gw.mqttUrl, clients: CLIENTS, tag, window: 16, intervalMs: 4, reconnectPeriod: 250 });
    loads.push(load);
    await load.start();
    const restarts: Array<{ ackedAtKill: number; sentAtKill: number; reconnectMs: number }> = [];
    for (let cycle = 0; cycle < cycles; cycle++) {
      await waitFor(() => load.acked >= (cycle + 1) * 300, { timeoutMs: 30_000, what: 'PUBACKs before the kill' });
      const ackedAtKill = load.acked;
      const sentAtKill = load.sent;
      await gw.kill();
      await sleep(scale(1_000, 3_000));
      await gw.start();
      const restartedAt = Date.now();
      await waitFor(() => load.acked >= ackedAtKill + 200, { timeoutMs: 30_000, what: 'PUBACKs after the restart' });
      restarts.push({ ackedAtKill, sentAtKill, reconnectMs: Date.now() - restartedAt });
    }
    await sleep(scale(1_000, 5_000));
    await load.stop(20_000);

    const acked = load.ackedIds();
    const audit = await auditUplink(brokers, UPLINK_TOPIC, tag, acked, { from });
    report('gateway-sigkill', {
      clients: CLIENTS,
      cycles,
      sent: load.sent,
      acked: acked.size,
      unackedAtEnd: load.unacked,
      reconnectAttempts: load.reconnects,
      restarts,
      kafkaRecords: audit.records,
      foundDistinct: audit.found.size,
      duplicates: audit.duplicates,
      missing: audit.missing.length,
      orderInversions: audit.orderInversions,
    });
    expect(audit.missing).toEqual([]);
    // Every client noticed the crash and came back by itself.
    expect(load.reconnects).toBeGreaterThanOrEqual(CLIENTS * cycles);
    expect(load.unacked).toBe(0);
  }, 180_000);

  // Proves (7): SIGTERM under QoS 1 load is a clean drain: the process exits 0, every message it
  // acknowledged is in Kafka (ack log vs topic diff = 0), and messages that were in flight when
  // the connections closed were either produced (drained) or never acknowledged.
  it('SIGTERM under load: exits 0 after draining, no PUBACK without the Kafka record', async () => {
    const from = await topicEnds(brokers, UPLINK_TOPIC);
    const gw = new GatewayProcess({ databaseUrl: db!.url, kafkaBrokers: brokers });
    gateways.push(gw);
    await gw.start();
    const tag = runTag('gt');
    const load = new QosLoad({ url: gw.mqttUrl, clients: CLIENTS, tag, window: 32, intervalMs: 2, reconnectPeriod: 0 });
    loads.push(load);
    await load.start();
    await waitFor(() => load.acked >= scale(500, 3_000), { timeoutMs: 60_000, what: 'PUBACKs before SIGTERM' });
    const stoppedAt = Date.now();
    const code = await gw.stop('SIGTERM', 30_000);
    const stopMs = Date.now() - stoppedAt;
    await load.end();

    const acked = load.ackedIds();
    const audit = await auditUplink(brokers, UPLINK_TOPIC, tag, acked, { from });
    const inFlightProduced = [...audit.found].filter((id) => !acked.has(id)).length;
    report('gateway-sigterm', {
      clients: CLIENTS,
      sent: load.sent,
      acked: acked.size,
      unackedAtClose: load.sent - acked.size,
      inFlightProduced,
      kafkaRecords: audit.records,
      duplicates: audit.duplicates,
      missing: audit.missing.length,
      exitCode: code,
      stopMs,
    });
    expect(code).toBe(0);
    expect(audit.missing).toEqual([]);
  }, 120_000);
});
