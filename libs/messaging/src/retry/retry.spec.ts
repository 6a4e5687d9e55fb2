import { RetriesExhaustedError } from '../errors.js';
import { createBackoff } from './backoff.js';
import { createRetry } from './retry.js';

describe('createBackoff', () => {
  it.each<[number, number]>([
    [0, 100],
    [1, 200],
    [2, 400],
    [5, 3200],
    [6, 5000],
    [50, 5000],
  ])('without jitter, retry %i waits %i ms', (attempt, ms) => {
    expect(createBackoff({ initialMs: 100, maxMs: 5000, factor: 2, jitter: 0 }).delay(attempt)).toBe(ms);
  });

  it('spreads delays by ±jitter and never beyond maxMs', () => {
    const low = createBackoff({ initialMs: 1000, maxMs: 1500, factor: 2, jitter: 0.5 }, () => 0);
    const high = createBackoff({ initialMs: 1000, maxMs: 1500, factor: 2, jitter: 0.5 }, () => 0.999999);
    expect(low.delay(0)).toBe(500);
    expect(high.delay(0)).toBe(1500);
    expect(high.delay(3)).toBe(1500);
  });

  it('ignores options given as undefined and refuses nonsense', () => {
    expect(createBackoff({ initialMs: undefined, jitter: 0 }).delay(0)).toBe(100);
    expect(() => createBackoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => createBackoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});

describe('createRetry', () => {
  const sleeps: number[] = [];
  const retry = createRetry({ retries: 3, initialMs: 10, maxMs: 100, factor: 2, jitter: 0, sleep: async (ms) => void sleeps.push(ms) });
  beforeEach(() => sleeps.splice(0));

  it('returns the first success, waiting with backoff between attempts', async () => {
    let calls = 0;
    const result = await retry(async (_bail, attempt) => {
      calls++;
      if (attempt < 2) throw new Error('flaky');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([10, 20]);
  });

  it('gives up after retries + 1 attempts with the last error as cause', async () => {
    let calls = 0;
    const error = await retry(async () => {
      calls++;
      throw new Error(`fail ${calls}`);
    }).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(4);
    expect(((error as RetriesExhaustedError).cause as Error).message).toBe('fail 4');
  });

  it('stops at once on bail or on an error marked not retriable', async () => {
    let calls = 0;
    const bailed = new Error('no point');
    await expect(retry(async (bail) => {
      calls++;
      return bail(bailed);
    })).rejects.toBe(bailed);
    const fatal = Object.assign(new Error('fatal'), { retriable: false });
    await expect(retry(async () => {
      calls++;
      throw fatal;
    })).rejects.toBe(fatal);
    expect(calls).toBe(2);
    expect(sleeps).toEqual([]);
  });
});
