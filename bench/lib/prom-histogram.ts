/**
 * A Prometheus histogram (unlabelled) read from /metrics text: scraped before and after a run,
 * the difference is that run's distribution, from which quantiles are interpolated.
 */
export interface PromBuckets {
  /** Upper bounds in seconds, ascending, +Inf last. */
  le: number[];
  /** Cumulative counts per bound. */
  counts: number[];
}

const BUCKET = /^(\w+)_bucket\{le="([^"]+)"\} (\S+)$/;

/** The buckets of histogram `name` in each text, summed (one text per gateway process). */
export function readPromHistogram(texts: string[], name: string): PromBuckets {
  const byLe = new Map<number, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = BUCKET.exec(line);
      if (!m || m[1] !== name) continue;
      const le = m[2] === '+Inf' ? Infinity : Number(m[2]);
      byLe.set(le, (byLe.get(le) ?? 0) + Number(m[3]));
    }
  }
  const le = [...byLe.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((x) => byLe.get(x) ?? 0) };
}

/** after - before, bucket by bucket (the same histogram scraped twice). */
export function bucketDelta(before: PromBuckets, after: PromBuckets): PromBuckets {
  return { le: after.le, counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)) };
}

/**
 * The q-quantile in milliseconds, linearly interpolated inside its bucket (as Prometheus'
 * histogram_quantile); NaN without samples. Past the last finite bound: that bound.
 */
export function bucketQuantileMs(b: PromBuckets, q: number): number {
  const total = b.counts[b.counts.length - 1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  for (let i = 0; i < b.le.length; i++) {
    if (b.counts[i] < rank) continue;
    if (b.le[i] === Infinity) return round(b.le[i - 1] * 1000);
    const lower = i === 0 ? 0 : b.le[i - 1];
    const below = i === 0 ? 0 : b.counts[i - 1];
    const inBucket = b.counts[i] - below;
    const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
    return round((lower + (b.le[i] - lower) * fraction) * 1000);
  }
  return Number.NaN;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The largest value of an unlabelled gauge over the texts; NaN when absent. */
export function readPromGauge(texts: string[], name: string): number {
  let max = Number.NaN;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name} `)) continue;
      const v = Number(line.slice(name.length + 1));
      if (Number.isFinite(v) && !(v <= max)) max = v;
    }
  }
  return max;
}
