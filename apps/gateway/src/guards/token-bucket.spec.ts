import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst of one second, then asks to wait in proportion', () => {
    let now = 0;
    const bucket = new TokenBucket(10, () => now);
    for (let i = 0; i < 10; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
    expect(bucket.take()).toBe(200);
  });

  it('refills over time up to the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(10, () => now);
    for (let i = 0; i < 10; i++) bucket.take();
    now += 500;
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
    now += 60_000;
    for (let i = 0; i < 10; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
  });
});
