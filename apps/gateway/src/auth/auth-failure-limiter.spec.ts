import { AuthFailureLimiter } from './auth-failure-limiter.js';

describe('AuthFailureLimiter', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 10_000;
  });

  it('blocks an address after the limit within a minute, not before', () => {
    const limiter = new AuthFailureLimiter(3, { clock });
    for (let i = 0; i < 2; i++) limiter.recordFailure('10.0.0.1');
    expect(limiter.isBlocked('10.0.0.1')).toBe(false);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.isBlocked('10.0.0.1')).toBe(true);
  });

  it('does not affect other addresses', () => {
    const limiter = new AuthFailureLimiter(1, { clock });
    limiter.recordFailure('10.0.0.1');
    expect(limiter.isBlocked('10.0.0.1')).toBe(true);
    expect(limiter.isBlocked('10.0.0.2')).toBe(false);
  });

  it('unblocks when the window ends', () => {
    const limiter = new AuthFailureLimiter(1, { clock });
    limiter.recordFailure('a');
    now += 59_999;
    expect(limiter.isBlocked('a')).toBe(true);
    now += 1;
    expect(limiter.isBlocked('a')).toBe(false);
  });

  it('stays bounded under a flood of addresses', () => {
    const limiter = new AuthFailureLimiter(5, { clock, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.tracked).toBeLessThanOrEqual(100);
  });
});
