import { jest } from '@jest/globals';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  let now = 1_000;
  const clock = () => now;
  const make = (max = 100) => new TtlCache<string>({ ttlMs: 1000, negativeTtlMs: 100, maxEntries: max, clock });

  beforeEach(() => {
    now = 1_000;
  });

  it('serves a fresh value without loading again, reloads after the TTL', async () => {
    const cache = make();
    const load = jest.fn(async () => 'v1');
    expect(await cache.get('k', load)).toBe('v1');
    now += 999;
    expect(await cache.get('k', load)).toBe('v1');
    expect(load).toHaveBeenCalledTimes(1);
    now += 2;
    await cache.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one load between concurrent misses', async () => {
    const cache = make();
    let release!: (v: string) => void;
    const load = jest.fn(() => new Promise<string>((r) => (release = r)));
    const all = Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    release('v');
    expect(await all).toEqual(['v', 'v', 'v']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('keeps "not found" only briefly', async () => {
    const cache = make();
    const load = jest.fn(async () => null);
    expect(await cache.get('k', load)).toBeNull();
    now += 50;
    await cache.get('k', load);
    expect(load).toHaveBeenCalledTimes(1);
    now += 51;
    await cache.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('falls back to the expired value when the reload fails, and fails with nothing cached', async () => {
    const cache = make();
    await cache.get('k', async () => 'old');
    now += 5_000;
    expect(await cache.get('k', async () => Promise.reject(new Error('db down')))).toBe('old');
    await expect(cache.get('other', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
  });

  it('does not serve a stale "not found" when the reload fails', async () => {
    const cache = make();
    await cache.get('k', async () => null);
    now += 5_000;
    await expect(cache.get('k', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
  });

  it('forgets invalidated keys', async () => {
    const cache = make();
    await cache.get('tok:a', async () => 'a');
    await cache.get('tok:b', async () => 'b');
    expect(cache.deleteWhere((k) => k === 'tok:a')).toBe(1);
    expect(await cache.get('tok:a', async () => 'a2')).toBe('a2');
    expect(cache.delete('tok:b')).toBe(true);
    expect(await cache.get('tok:b', async () => 'b2')).toBe('b2');
  });

  it('forgets entries by their value (a deleted instance’s keys, tokens and credentials)', async () => {
    const cache = make();
    await cache.get('ak:1', async () => 'inst-a');
    await cache.get('tok:2', async () => 'inst-a');
    await cache.get('dc:3', async () => 'inst-b');
    expect(cache.deleteWhereValue((v) => v === 'inst-a')).toBe(2);
    expect(await cache.get('ak:1', async () => 'reloaded')).toBe('reloaded');
    expect(await cache.get('dc:3', async () => 'reloaded')).toBe('inst-b');
  });

  it('does not cache what a load read before an invalidation that came while it ran', async () => {
    const cache = make();
    let finish: (v: string) => void = () => {};
    const pending = cache.get('inst:a', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.deleteWhereValue((v) => v === 'stale');
    // A get after the invalidation does not join the load under way: it reads afresh.
    const load = jest.fn(async () => 'fresh');
    expect(await cache.get('inst:a', load)).toBe('fresh');
    finish('stale');
    expect(await pending).toBe('stale');
    expect(await cache.get('inst:a', load)).toBe('fresh');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('stays bounded', async () => {
    const cache = make(8);
    for (let i = 0; i < 100; i++) await cache.get(`k${i}`, async () => 'v');
    expect(cache.size).toBeLessThanOrEqual(8);
  });
});
