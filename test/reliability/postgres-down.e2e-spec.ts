// Reliability 3 — PostgreSQL unavailable.
// Proves: with a PRIVATE embedded PostgreSQL stopped under a running gateway process,
//  - connected clients keep publishing (QoS 1, PUBACK after Kafka) and receiving;
//  - a new CONNECT with a credential that is cached succeeds (CONNACK 0);
//  - a new CONNECT with an uncached credential gets CONNACK 3 (server unavailable) promptly,
//    not a hang and not a crash;
//  - after the same PostgreSQL (same data dir and port) is started again, new CONNECTs of the
//    previously uncached credential succeed without restarting the gateway.
import type { MqttClient } from 'mqtt';
import { SecretBox } from '#auth';
import { openDataSource } from '#domain/persistence';
import { FleetSeed, clientIdIn, signatureCredentials, type Credentials } from '../helpers/gateway.js';
import { describeWithKafka, kafkaBrokers } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';
import { connackCode, connectClient, endAllClients, publish, sleep, subscribe } from '../helpers/mqtt.js';
import { GatewayProcess, PrivatePostgres, RELIABILITY_MASTER_KEY, report, scale } from './harness.js';

const DOWN_MS = scale(4_000, 20_000);

describeWithKafka('reliability: PostgreSQL unavailable under a running gateway', () => {
  const pg = new PrivatePostgres();
  let gw: GatewayProcess | undefined;
  let instanceId = '';
  let keyA: { accessKeyId: string; secret: string };
  let keyB: { accessKeyId: string; secret: string };
  const creds = (key: { accessKeyId: string; secret: string }, clientId = clientIdIn()): Credentials =>
    signatureCredentials(instanceId, key.accessKeyId, key.secret, clientId);

  beforeAll(async () => {
    await pg.start();
    const ds = await openDataSource(pg.url);
    try {
      const seed = new FleetSeed(ds, new SecretBox(Buffer.from(RELIABILITY_MASTER_KEY, 'hex')));
      instanceId = (await seed.instance({ topics: ['telemetry'], groups: ['GID_dev'] })).id;
      keyA = await seed.accessKey(instanceId);
      keyB = await seed.accessKey(instanceId);
    } finally {
      await ds.destroy();
    }
    // Cached credentials must outlive the outage; "not found" is cached for at most 2 s anyway.
    gw = new GatewayProcess({ databaseUrl: pg.url, kafkaBrokers: kafkaBrokers(), env: { FLEETMQ_AUTH_CACHE_TTL_MS: '120000' } });
    await gw.start();
  }, 120_000);

  afterAll(async () => {
    await endAllClients();
    await gw?.stop('SIGKILL');
    await pg.destroy();
  }, 60_000);

  it('keeps connected clients working, refuses uncached CONNECTs with code 3, recovers after restart', async () => {
    const url = gw!.mqttUrl;
    const sub = await connectClient(url, creds(keyA));
    const pub = await connectClient(url, creds(keyA));
    expect(await subscribe(sub, 'telemetry/#', 1)).toEqual([1]);
    let closes = 0;
    for (const c of [sub, pub]) c.on('close', () => closes++);
    let received = 0;
    sub.on('message', () => received++);

    // Traffic that must not notice the database going away.
    let sent = 0;
    let acked = 0;
    const latencies: number[] = [];
    let running = true;
    const pump = (async () => {
      while (running) {
        const t0 = Date.now();
        await publish(pub as MqttClient, 'telemetry/x', `m${sent++}`, { qos: 1 });
        latencies.push(Date.now() - t0);
        acked++;
        await sleep(20);
      }
    })();
    await waitFor(() => received >= 10, { timeoutMs: 10_000, what: 'traffic before the outage' });

    await pg.stop();
    const downAt = Date.now();
    const ackedAtDown = acked;
    const receivedAtDown = received;

    // Cached credential (same access key, new client ID): nothing to look up.
    const cachedCode = await connackCode(url, creds(keyA));
    // Uncached access key: the lookup fails, CONNACK 3 rather than a hang.
    const t0 = Date.now();
    const uncachedCode = await connackCode(url, { ...creds(keyB), connectTimeout: 15_000 });
    const uncachedMs = Date.now() - t0;
    // An unknown group of a known instance is not cached either.
    const otherGroupCode = await connackCode(url, creds(keyA, clientIdIn('GID_other')));
    const leftMs = DOWN_MS - (Date.now() - downAt);
    if (leftMs > 0) await sleep(leftMs);
    const ackedWhileDown = acked - ackedAtDown;
    const receivedWhileDown = received - receivedAtDown;
    const rssDownKb = gw!.rssKb();
    expect(gw!.running).toBe(true);

    await pg.start();
    const restartedAt = Date.now();
    // The pool reconnects on its own; a failed lookup is not cached as "not found".
    await waitFor(async () => (await connackCode(url, creds(keyB))) === 0, { timeoutMs: 30_000, intervalMs: 500, what: 'CONNACK 0 after the restart' });
    const recoveryMs = Date.now() - restartedAt;
    running = false;
    await pump;

    const sorted = [...latencies].sort((a, b) => a - b);
    report('postgres-down', {
      downMs: Date.now() - downAt,
      sent,
      acked,
      ackedWhileDown,
      received,
      receivedWhileDown,
      cachedCode,
      uncachedCode,
      uncachedMs,
      otherGroupCode,
      recoveryMs,
      clientCloses: closes,
      publishP50Ms: sorted[Math.floor(sorted.length / 2)],
      publishMaxMs: sorted[sorted.length - 1],
      rssDownMb: Math.round(rssDownKb / 1024),
    });
    expect(cachedCode).toBe(0);
    expect(uncachedCode).toBe(3);
    expect(uncachedMs).toBeLessThan(6_000);
    expect(otherGroupCode).toBe(3);
    expect(ackedWhileDown).toBeGreaterThan(DOWN_MS / 100);
    expect(receivedWhileDown).toBeGreaterThan(DOWN_MS / 100);
    expect(closes).toBe(0);
    expect(gw!.running).toBe(true);
  }, 120_000);
});
