import { spawnSync } from 'node:child_process';

// Every process refuses to start on a bad environment, naming each bad variable, with exit code 2.
describe('start with a bad environment', () => {
  const run = (app: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [`dist/apps/${app}/src/main.js`], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it.each([
    ['gateway', { DATABASE_URL: 'postgres://x@127.0.0.1/db', FLEETMQ_MQTT_PORT: '70000' }, ['FLEETMQ_MQTT_PORT', 'FLEETMQ_MASTER_KEY is required']],
    ['console', { FLEETMQ_ALLOW_ANONYMOUS: 'maybe' }, ['FLEETMQ_ALLOW_ANONYMOUS', 'DATABASE_URL is required', 'FLEETMQ_ADMIN_TOKEN is required']],
    ['rule-router', { DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }, ['DATABASE_URL', 'LOG_LEVEL']],
    ['fleetmq', { FLEETMQ_TLS_CERT: '/tmp/c.pem', FLEETMQ_UPLINK_LINGER_MS: '-1' }, ['FLEETMQ_TLS_KEY', 'FLEETMQ_UPLINK_LINGER_MS']],
  ])('%s exits 2 and names every bad variable', (app, env, expected) => {
    const result = run(app, env);
    expect(result.status).toBe(2);
    for (const text of expected) expect(result.stderr).toContain(text);
  });
});
