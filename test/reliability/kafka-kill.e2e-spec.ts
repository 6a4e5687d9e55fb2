// Reliability 1 — Kafka broker SIGKILLed and restarted under QoS 1 load.
// Proves: with several MQTT.js clients publishing QoS 1 through a real gateway process, a
// broker crash (tools/kafka stop.sh --kill on a PRIVATE broker home) loses nothing that was
// acknowledged: every PUBACKed message id is in the uplink topic after the restart (duplicates
// counted, missing = 0), and no PUBACK is sent while the broker is down (beyond a short grace
// for acknowledgements already on the wire when it died). The gateway process stays up.
import { UPLINK_TOPIC } from '#messaging';
import { PrivateKafka, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';
import { sleep } from '../helpers/mqtt.js';
import { GatewayProcess, QosLoad, auditUplink, createTestDatabase, report, runTag, scale } from './harness.js';

const CLIENTS = scale(4, 8);
const DOWN_MS = scale(5_000, 20_000);
const AFTER_MS = scale(3_000, 15_000);
// PUBACKs for records Kafka acknowledged just before it died may still be on their way.
const GRACE_MS = 300;

describeWithKafka('reliability: Kafka broker SIGKILL under QoS 1 load', () => {
  const broker = new PrivateKafka();
  let db: { url: string; drop(): Promise<void> } | undefined;
  let gw: GatewayProcess | undefined;
  let load: QosLoad | undefined;

  beforeAll(async () => {
    await broker.start();
    db = await createTestDatabase();
    gw = new GatewayProcess({ databaseUrl: db.url, kafkaBrokers: broker.brokers, env: { FLEETMQ_KAFKA_PARTITIONS: '3' } });
    await gw.start();
  }, 240_000);

  afterAll(async () => {
    await load?.end();
    await gw?.stop('SIGKILL');
    await broker.destroy();
    await db?.drop();
  }, 120_000);

  it('acknowledges nothing while Kafka is down and loses no acknowledged message', async () => {
    const tag = runTag('kk');
    load = new QosLoad({ url: gw!.mqttUrl, clients: CLIENTS, tag, window: 16, intervalMs: 4 });
    await load.start();
    await waitFor(() => load!.acked >= 300, { timeoutMs: 30_000, what: '300 PUBACKs before the kill' });

    await broker.stop(true);
    const killedAt = Date.now();
    const ackedAtKill = load.acked;
    const sentAtKill = load.sent;
    await sleep(DOWN_MS);
    const restartAt = Date.now();
    const ackedWhileDown = load.ackedBetween(killedAt + GRACE_MS, restartAt);
    const ackedInGrace = load.ackedBetween(killedAt, killedAt + GRACE_MS);
    const rssWhileDownKb = gw!.rssKb();
    expect(gw!.running).toBe(true);

    await broker.start();
    const restartedAt = Date.now();
    await waitFor(() => load!.acked >= ackedAtKill + ackedInGrace + 200, { timeoutMs: 90_000, what: 'PUBACKs again after the restart' });
    const recoveryMs = Date.now() - restartedAt;
    await sleep(AFTER_MS);
    await load.stop(30_000);

    const acked = load.ackedIds();
    const audit = await auditUplink(broker.brokers, UPLINK_TOPIC, tag, acked);
    const figures = {
      clients: CLIENTS,
      downMs: DOWN_MS,
      sent: load.sent,
      acked: acked.size,
      unackedAtEnd: load.unacked,
      sentAtKill,
      ackedAtKill,
      ackedInGrace,
      ackedWhileDown,
      recoveryMs,
      reconnects: load.reconnects,
      kafkaRecords: audit.records,
      foundDistinct: audit.found.size,
      duplicates: audit.duplicates,
      missing: audit.missing.length,
      orderInversions: audit.orderInversions,
      rssWhileDownMb: Math.round(rssWhileDownKb / 1024),
    };
    report('kafka-kill', figures);

    expect(ackedWhileDown).toBe(0);
    expect(audit.missing).toEqual([]);
    expect(acked.size).toBeGreaterThan(ackedAtKill);
    expect(gw!.running).toBe(true);
  }, 240_000);
});
