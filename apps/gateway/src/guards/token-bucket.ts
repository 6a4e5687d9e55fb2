import type { Clock } from '../auth/ttl-cache.js';

/**
 * Publish rate limit of one connection: `ratePerSecond` tokens per second, bursts up to one
 * second's worth. `take()` answers how long to wait (ms) before the message may go on; the
 * caller delays its callback by that much, which holds aedes' reading of the socket.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: Clock = Date.now,
  ) {
    this.tokens = ratePerSecond;
    this.last = clock();
  }

  /** 0 when a token was available; otherwise the wait until one will be (the token is spent). */
  take(): number {
    const now = this.clock();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }
}
