import { randomBytes } from 'node:crypto';
import { startFleetMq, type FleetMqProcess } from '../helpers/fleetmq-process.js';

// The all-in-one start with FLEETMQ_ADMIN_TOKEN given: the operator's own secret must not be
// printed or logged (a generated one is printed: see embedded-start.e2e-spec.ts).
describe('all-in-one start with FLEETMQ_ADMIN_TOKEN', () => {
  let fleetmq: FleetMqProcess;
  const adminToken = `operator-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    fleetmq = await startFleetMq({ LOG_LEVEL: 'debug' }, adminToken);
  }, 120_000);

  afterAll(async () => {
    await fleetmq?.stop();
  }, 60_000);

  it('does not print or log the token, says where it comes from, and the API accepts it', async () => {
    expect(fleetmq.output()).not.toContain(adminToken);
    expect(fleetmq.output()).toContain('Admin token: the one set in FLEETMQ_ADMIN_TOKEN');
    const res = await fetch(`${fleetmq.httpUrl}/api/v1/instances`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(200);
  });
});
