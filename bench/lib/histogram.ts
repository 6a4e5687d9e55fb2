/**
 * Latency histogram with logarithmic buckets (2 % wide), so millions of samples fit in a
 * fixed array that can be merged across generator processes. Values are microseconds.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets up to ~10 minutes: nothing measured here waits longer. */
export const HISTOGRAM_BUCKETS = Math.ceil(Math.log(600e6) / LOG_GROWTH) + 1;

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Float64Array(HISTOGRAM_BUCKETS);
    if (counts) {
      for (let i = 0; i < HISTOGRAM_BUCKETS && i < counts.length; i++) {
        this.counts[i] = counts[i];
        this.count += counts[i];
      }
    }
  }

  record(us: number): void {
    const v = us < 1 ? 1 : us;
    let i = Math.floor(Math.log(v) / LOG_GROWTH);
    if (i >= HISTOGRAM_BUCKETS) i = HISTOGRAM_BUCKETS - 1;
    this.counts[i]++;
    this.count++;
    if (us > this.max) this.max = us;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** Value at quantile q (0..1), in microseconds (bucket midpoint); NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(GROWTH ** (i + 0.5), this.max || Infinity);
    }
    return this.max;
  }

  /** Plain form for IPC and JSON. */
  toJSON(): { counts: number[]; max: number } {
    return { counts: Array.from(this.counts), max: this.max };
  }

  static from(data: { counts: ArrayLike<number>; max: number }): Histogram {
    const h = new Histogram(data.counts);
    h.max = data.max;
    return h;
  }
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us / 10) / 100;
  return { samples: h.count, p50Ms: ms(h.quantile(0.5)), p99Ms: ms(h.quantile(0.99)), maxMs: ms(h.max) };
}
