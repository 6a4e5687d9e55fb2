// Reliability 6 — brute force of passwords from one source address.
// Proves: after config.limits.authFailuresPerMinute failed CONNECTs from one address, further
// CONNECTs from it are refused at once with CONNACK 5 WITHOUT touching the database (the
// private PostgreSQL logs every statement, counted per application name; the gateway's
// rate-limited counter matches), while clients from another address (127.0.0.2) still
// authenticate normally.
import { SecretBox } from '#auth';
import { openDataSource } from '#domain/persistence';
import { FleetSeed, clientIdIn, signatureCredentials } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { RawSocket, connackReturnCode, connectPacket, sleep } from '../helpers/mqtt.js';
import { GatewayProcess, PrivatePostgres, RELIABILITY_MASTER_KEY, report, scale } from './harness.js';

const LIMIT = 20;
const BLOCKED_ATTEMPTS = scale(300, 3_000);
const PARALLEL = 10;
const GATEWAY_APP = 'fleetmq-gateway';

interface Attempt {
  code: number | undefined;
  ms: number;
}

/** One CONNECT over a raw socket: the CONNACK code (undefined if none) and how long it took. */
async function attempt(port: number, clientId: string, username: string, password: string, localAddress?: string): Promise<Attempt> {
  const t0 = Date.now();
  const socket = await RawSocket.open(port, localAddress);
  try {
    socket.write(connectPacket(clientId, { username, password: Buffer.from(password) }));
    const bytes = await socket.waitBytes(4, 5_000);
    return { code: connackReturnCode(bytes), ms: Date.now() - t0 };
  } finally {
    socket.destroy();
  }
}

describe('reliability: auth brute force from one address', () => {
  const pg = new PrivatePostgres(true);
  let gw: GatewayProcess | undefined;
  let instanceId = '';
  let key: { accessKeyId: string; secret: string };

  beforeAll(async () => {
    await pg.start();
    const ds = await openDataSource(pg.url);
    try {
      const seed = new FleetSeed(ds, new SecretBox(Buffer.from(RELIABILITY_MASTER_KEY, 'hex')));
      instanceId = (await seed.instance({ topics: ['telemetry'], groups: ['GID_dev'] })).id;
      key = await seed.accessKey(instanceId);
    } finally {
      await ds.destroy();
    }
    // No cache: every CONNECT that gets past the limiter costs lookups, so skipped ones show.
    // No Kafka needed (in-process bus); the heartbeat is slowed so background writes stay out.
    gw = new GatewayProcess({
      databaseUrl: pg.url,
      env: { FLEETMQ_AUTH_FAILURES_PER_MINUTE: String(LIMIT), FLEETMQ_AUTH_CACHE_TTL_MS: '0', FLEETMQ_HEARTBEAT_MS: '300000' },
    });
    await gw.start();
  }, 120_000);

  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await pg.destroy();
  }, 60_000);

  it('refuses an address over the limit with CONNACK 5 without database queries; other addresses unaffected', async () => {
    const port = gw!.mqttPort;
    const wrong = (clientId = clientIdIn()) => signatureCredentials(instanceId, key.accessKeyId, 'not-the-secret', clientId);
    const right = (clientId = clientIdIn()) => signatureCredentials(instanceId, key.accessKeyId, key.secret, clientId);

    // Phase 1: failures up to the limit, one at a time; each is a real lookup (code 4).
    const before = pg.statementsOf(GATEWAY_APP);
    const early: Attempt[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const w = wrong();
      early.push(await attempt(port, w.clientId, w.username, w.password));
    }
    await sleep(300); // let the server's log lines arrive
    const statementsPerFailure = (pg.statementsOf(GATEWAY_APP) - before) / LIMIT;
    const rateLimitedBefore = await gw!.metric('fleetmq_gateway_auth_failures_total', { reason: 'rate-limited' });

    // Phase 2: the flood, PARALLEL at a time; every one must be refused without a query.
    const s1 = pg.statementsOf(GATEWAY_APP);
    const blocked: Attempt[] = [];
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < BLOCKED_ATTEMPTS) {
          next++;
          const w = wrong();
          blocked.push(await attempt(port, w.clientId, w.username, w.password));
        }
      }),
    );
    const floodMs = Date.now() - t0;
    // Even the right password is refused from the blocked address (it is the address that is locked).
    const blockedId = clientIdIn();
    const rightFromBlocked = await attempt(port, blockedId, right(blockedId).username, right(blockedId).password);
    await sleep(500);
    const floodStatements = pg.statementsOf(GATEWAY_APP) - s1;
    const rateLimited = (await gw!.metric('fleetmq_gateway_auth_failures_total', { reason: 'rate-limited' })) - rateLimitedBefore;

    // Phase 3: another source address authenticates normally, and its wrong passwords get 4, not 5.
    const others: Attempt[] = [];
    for (let i = 0; i < 5; i++) {
      const id = clientIdIn();
      const good = right(id);
      others.push(await attempt(port, id, good.username, good.password, '127.0.0.2'));
    }
    const w = wrong();
    const otherWrong = await attempt(port, w.clientId, w.username, w.password, '127.0.0.2');

    const codes = (list: Attempt[]) => list.reduce<Record<string, number>>((acc, a) => ({ ...acc, [String(a.code)]: (acc[String(a.code)] ?? 0) + 1 }), {});
    const sortedMs = blocked.map((a) => a.ms).sort((a, b) => a - b);
    report('auth-abuse', {
      limit: LIMIT,
      earlyCodes: codes(early),
      statementsPerFailure,
      blockedAttempts: blocked.length,
      blockedCodes: codes(blocked),
      floodMs,
      blockedP50Ms: sortedMs[Math.floor(sortedMs.length / 2)],
      blockedP99Ms: sortedMs[Math.floor(sortedMs.length * 0.99)],
      floodStatements,
      rateLimitedCounter: rateLimited,
      rightPasswordFromBlocked: rightFromBlocked.code,
      otherAddressCodes: codes(others),
      otherAddressWrongCode: otherWrong.code,
    });
    expect(early.every((a) => a.code === 4)).toBe(true);
    // The check counts real statements: phase 1 must have produced some, or the probe is blind.
    expect(statementsPerFailure).toBeGreaterThanOrEqual(1);
    expect(blocked.every((a) => a.code === 5)).toBe(true);
    expect(floodStatements).toBe(0);
    expect(rateLimited).toBe(BLOCKED_ATTEMPTS + 1);
    expect(sortedMs[Math.floor(sortedMs.length * 0.99)]).toBeLessThan(500);
    expect(rightFromBlocked.code).toBe(5);
    expect(others.every((a) => a.code === 0)).toBe(true);
    expect(otherWrong.code).toBe(4);
    await waitFor(() => gw!.running, { what: 'gateway still running' });
  }, 120_000);
});
