import type { Clock } from './ttl-cache.js';

interface Window {
  start: number;
  failures: number;
}

const MINUTE = 60_000;

/**
 * Counts failed CONNECTs per source address in fixed one-minute windows. Once an address
 * reaches the limit, its next attempts are refused (CONNACK 5) without touching the
 * database until the window ends; other addresses are unaffected.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly clock: Clock;

  constructor(
    private readonly perMinute: number,
    options: { clock?: Clock; maxAddresses?: number } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.maxAddresses = options.maxAddresses ?? 100_000;
  }

  private readonly maxAddresses: number;

  isBlocked(address: string): boolean {
    const w = this.windows.get(address);
    if (w === undefined) return false;
    if (this.clock() - w.start >= MINUTE) {
      this.windows.delete(address);
      return false;
    }
    return w.failures >= this.perMinute;
  }

  recordFailure(address: string): void {
    const now = this.clock();
    const w = this.windows.get(address);
    if (w === undefined || now - w.start >= MINUTE) {
      if (w === undefined && this.windows.size >= this.maxAddresses) this.prune(now);
      this.windows.set(address, { start: now, failures: 1 });
    } else {
      w.failures++;
    }
  }

  /** Addresses currently tracked (for tests and metrics). */
  get tracked(): number {
    return this.windows.size;
  }

  prune(now = this.clock()): void {
    for (const [address, w] of this.windows) if (now - w.start >= MINUTE) this.windows.delete(address);
    // A flood from very many addresses: forget the oldest rather than grow without bound.
    if (this.windows.size >= this.maxAddresses) {
      let drop = Math.max(1, Math.floor(this.maxAddresses / 4));
      for (const address of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(address);
      }
    }
  }
}
