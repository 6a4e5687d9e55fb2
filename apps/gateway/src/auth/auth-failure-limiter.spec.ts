import { AuthFailureLimiter, type AuthFailureLimits } from './auth-failure-limiter.js';

describe('AuthFailureLimiter', () => {
  let now = 0;
  const clock = () => now;
  const limits: AuthFailureLimits = { perAddressPerMinute: 50, perClient: 3, backoffMs: 1_000, backoffMaxMs: 8_000 };

  beforeEach(() => {
    now = 10_000;
  });

  it('backs off a client ID + address after perClient failures, not before', () => {
    const limiter = new AuthFailureLimiter(limits, { clock });
    for (let i = 0; i < 2; i++) limiter.recordFailure('dev-1', '10.0.0.1');
    expect(limiter.blocked('dev-1', '10.0.0.1')).toBeNull();
    limiter.recordFailure('dev-1', '10.0.0.1');
    expect(limiter.blocked('dev-1', '10.0.0.1')).toBe('client-backoff');
  });

  it('does not lock out other devices behind the same address (carrier NAT), nor the same client ID elsewhere', () => {
    const limiter = new AuthFailureLimiter(limits, { clock });
    for (let i = 0; i < 10; i++) limiter.recordFailure('bad-device', '100.64.0.1');
    expect(limiter.blocked('bad-device', '100.64.0.1')).toBe('client-backoff');
    expect(limiter.blocked('good-device', '100.64.0.1')).toBeNull();
    // An attacker elsewhere guessing the client ID does not lock the device out.
    expect(limiter.blocked('bad-device', '203.0.113.9')).toBeNull();
  });

  it('doubles the back-off with each further failure, up to the maximum', () => {
    const backoffAfter = (failures: number): number => {
      const l = new AuthFailureLimiter(limits, { clock });
      for (let i = 0; i < failures; i++) l.recordFailure('d', 'a');
      let waited = 0;
      while (l.blocked('d', 'a') !== null) {
        now += 250;
        waited += 250;
      }
      now -= waited;
      return waited;
    };
    expect([3, 4, 5, 6, 7, 8].map(backoffAfter)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('forgets the back-off on success', () => {
    const limiter = new AuthFailureLimiter(limits, { clock });
    for (let i = 0; i < 3; i++) limiter.recordFailure('d', 'a');
    limiter.recordSuccess('d', 'a');
    expect(limiter.blocked('d', 'a')).toBeNull();
  });

  it('refuses a whole address once it reaches the ceiling within a minute (client IDs rotated), until the minute ends', () => {
    const limiter = new AuthFailureLimiter(limits, { clock });
    for (let i = 0; i < 49; i++) limiter.recordFailure(`guess-${i}`, '10.0.0.9');
    expect(limiter.blocked('fresh', '10.0.0.9')).toBeNull();
    limiter.recordFailure('guess-49', '10.0.0.9');
    expect(limiter.blocked('fresh', '10.0.0.9')).toBe('address-ceiling');
    expect(limiter.blocked('fresh', '10.0.0.10')).toBeNull();
    now += 60_000;
    expect(limiter.blocked('fresh', '10.0.0.9')).toBeNull();
  });

  it('stays bounded under a flood of addresses and client IDs', () => {
    const limiter = new AuthFailureLimiter(limits, { clock, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`c${i}`, `10.0.${i >> 8}.${i & 255}`);
    expect(limiter.tracked.clients).toBeLessThanOrEqual(100);
    expect(limiter.tracked.addresses).toBeLessThanOrEqual(100);
  });
});
