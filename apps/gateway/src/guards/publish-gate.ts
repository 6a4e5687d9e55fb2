import type { TokenBucket } from './token-bucket.js';

/**
 * Admits one connection's PUBLISH forwards in arrival order: at most `maxInflight` at once,
 * and no faster than the token bucket allows. A held PUBLISH keeps aedes' callback pending,
 * and aedes reads the next chunk from the socket only when every packet of the current one
 * has called back, so holding here is TCP backpressure, not buffering.
 */
export class PublishGate {
  private inflight = 0;
  private readonly queue: Array<() => void> = [];
  private tokenReady = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** pump() is running: a release() from a start() it called must not pump again inside it. */
  private pumping = false;

  constructor(
    private readonly maxInflight: number,
    private readonly bucket?: TokenBucket,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** Runs `start` now or when admitted; `start` must lead to exactly one release(). */
  submit(start: () => void): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.inflight < this.maxInflight && this.admitRate()) {
      this.inflight++;
      start();
      return;
    }
    this.queue.push(start);
    if (this.timer === undefined) this.pump();
  }

  release(): void {
    this.inflight--;
    if (this.queue.length > 0 && this.timer === undefined) this.pump();
  }

  /** Drops what waits (the connection is gone). */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    // A start() that completes at once (QoS 0, an in-process bus) calls release() inside this
    // loop; pumping again there took a second message on the token the first had reserved,
    // which doubled the rate (found by test/gateway/connection-limits.e2e-spec.ts).
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.inflight < this.maxInflight && !this.closed) {
        if (!this.admitRate()) return;
        this.inflight++;
        this.queue.shift()!();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** True when a token is available now; otherwise schedules pump() for when it will be. */
  private admitRate(): boolean {
    if (this.bucket === undefined || this.tokenReady) {
      this.tokenReady = false;
      return true;
    }
    const wait = this.bucket.take();
    if (wait === 0) return true;
    this.tokenReady = true; // the token taken above is this message's, once the wait is over
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, wait);
    return false;
  }
}
