// Issue 9 item 5: fleets behind carrier NAT. Failed CONNECTs are limited per client ID + source
// address with back-off, under a much higher per-address ceiling: one device with a wrong secret
// does not lock out the healthy devices sharing its address, and a guessed client ID does not
// lock its device out from elsewhere. Raw CONNECTs over TCP from several loopback addresses.
import { clientIdIn, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/logs.js';
import { counter } from '../helpers/metrics.js';
import { RawSocket, connackReturnCode, connectPacket } from '../helpers/mqtt.js';

const CEILING = 30;
const PER_CLIENT = 3;

/** The CONNACK return code of one CONNECT with `creds` from `localAddress`. */
async function connackFrom(gw: TestGateway, localAddress: string, creds: Credentials): Promise<number | undefined> {
  const raw = await RawSocket.open(gw.port, localAddress);
  try {
    raw.write(connectPacket(creds.clientId, { username: creds.username, password: Buffer.from(creds.password) }));
    return connackReturnCode(await raw.waitBytes(4, 5_000));
  } finally {
    raw.destroy();
  }
}

describe('auth-failure limits behind a shared address (issue 9 item 5)', () => {
  let gw: TestGateway;
  let instanceId: string;
  const logs = captureLogs('warn');
  const wrong = (creds: Credentials): Credentials => ({ ...creds, password: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });

  beforeAll(async () => {
    // A back-off far longer than the test: nothing here depends on timing.
    gw = await startTestGateway({
      config: { allowAnonymous: false, limits: { authFailuresPerMinute: CEILING, authFailuresPerClient: PER_CLIENT, authBackoffMs: 600_000, authBackoffMaxMs: 600_000 } },
      logger: logs.logger,
    });
    instanceId = (await gw.seed.instance()).id;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('backs off the failing device only: its neighbours behind the same address keep connecting', async () => {
    const nat = '127.0.0.5';
    const bad = await gw.seed.signatureClient(instanceId, clientIdIn());
    const codes: Array<number | undefined> = [];
    // More failures than the per-address ceiling: only the checked ones count towards it.
    for (let i = 0; i < CEILING + 10; i++) codes.push(await connackFrom(gw, nat, wrong(bad)));
    expect(codes.slice(0, PER_CLIENT)).toEqual(Array(PER_CLIENT).fill(4));
    expect(new Set(codes.slice(PER_CLIENT))).toEqual(new Set([5]));
    // Backed off: even its right secret is not checked now, from that address...
    expect(await connackFrom(gw, nat, bad)).toBe(5);
    expect(logs.withMessage('connect refused unchecked').filter((l) => l.clientId === bad.clientId)).toEqual([
      expect.objectContaining({ limit: 'client-backoff', address: nat }),
    ]);
    // ...while every other device behind the address connects.
    for (let i = 0; i < 5; i++) expect(await connackFrom(gw, nat, await gw.seed.signatureClient(instanceId, clientIdIn()))).toBe(0);
  });

  it('does not let anyone lock a device out by guessing its client ID from another address', async () => {
    const device = await gw.seed.signatureClient(instanceId, clientIdIn());
    for (let i = 0; i < PER_CLIENT + 5; i++) await connackFrom(gw, '127.0.0.6', wrong(device));
    expect(await connackFrom(gw, '127.0.0.6', device)).toBe(5);
    expect(await connackFrom(gw, '127.0.0.1', device)).toBe(0);
  });

  it('refuses a whole address once failures of rotating client IDs reach the ceiling', async () => {
    const guesser = '127.0.0.7';
    const before = await counter('fleetmq_gateway_auth_failures_total', { code: '5', reason: 'rate-limited' });
    for (let i = 0; i < CEILING; i++) expect(await connackFrom(gw, guesser, wrong(await gw.seed.signatureClient(instanceId, clientIdIn())))).toBe(4);
    expect(await connackFrom(gw, guesser, await gw.seed.signatureClient(instanceId, clientIdIn()))).toBe(5);
    expect(await counter('fleetmq_gateway_auth_failures_total', { code: '5', reason: 'rate-limited' })).toBe(before + 1);
    expect(logs.withMessage('connect refused unchecked').find((l) => l.limit === 'address-ceiling')).toMatchObject({ address: guesser });
    expect(await connackFrom(gw, '127.0.0.8', await gw.seed.signatureClient(instanceId, clientIdIn()))).toBe(0);
  });
});
