import { checkReadiness } from './readiness.js';

describe('checkReadiness', () => {
  it('is ready when every dependency answers', async () => {
    const report = await checkReadiness([
      { name: 'database', check: async () => undefined },
      { name: 'kafka', check: async () => undefined },
    ]);
    expect(report.status).toBe('ready');
    expect(Object.keys(report.checks)).toEqual(['database', 'kafka']);
    expect(report.checks.kafka.status).toBe('up');
  });

  it('names the dependency that fails, with its error, and the others as up', async () => {
    const report = await checkReadiness([
      { name: 'database', check: async () => undefined },
      { name: 'kafka', check: async () => Promise.reject(new Error('Connection error: connect ECONNREFUSED')) },
    ]);
    expect(report.status).toBe('not-ready');
    expect(report.checks.database.status).toBe('up');
    expect(report.checks.kafka).toMatchObject({ status: 'down', error: 'Connection error: connect ECONNREFUSED' });
  });

  it('counts a dependency that does not answer in time as down', async () => {
    const report = await checkReadiness([{ name: 'kafka', check: () => new Promise<void>(() => undefined) }], 50);
    expect(report.status).toBe('not-ready');
    expect(report.checks.kafka.error).toBe('no answer within 50 ms');
  });
});
