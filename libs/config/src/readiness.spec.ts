import { checkReadiness, withTimeout } from './readiness.js';

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

describe('withTimeout', () => {
  it('rejects a promise that never settles once the time is up', async () => {
    await expect(withTimeout(new Promise<never>(() => undefined), 20)).rejects.toThrow('no answer within 20 ms');
  });

  it('passes on the value and the error of a promise that settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });
});
