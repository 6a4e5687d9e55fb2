import { Counter, register } from 'prom-client';

/**
 * Metrics counted on every message. prom-client's `inc` and `observe` validate and hash their
 * labels and allocate on each call; in QoS 1 fan-in profiles the four per-message updates were
 * a few percent of the MQTT thread. These count in plain numbers and hand their totals to
 * prom-client when /metrics is read, so the exposition is the same.
 */

/** One counter series: an increment is a number add. */
export class HotCount {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/** Series of each hot counter by name; shared per process, like prom-client's default registry. */
const hotCounters = new Map<string, Map<string, HotCount>>();

/**
 * A counter whose series are HotCounts, one per value of its one label (`label` null: a single
 * series, under the key ''). Made once per process; later calls return the same series.
 */
export function hotCounter<V extends string>(name: string, help: string, label: string | null, values: readonly V[]): Record<V, HotCount> {
  let series = hotCounters.get(name);
  if (series === undefined) {
    const made = new Map<string, HotCount>();
    for (const v of values) made.set(v, new HotCount());
    series = made;
    hotCounters.set(name, made);
    new Counter({
      name,
      help,
      labelNames: label === null ? [] : [label],
      collect() {
        this.reset();
        for (const [v, count] of made) {
          if (label === null) this.inc(count.value);
          else if (count.value > 0) this.labels(v).inc(count.value);
        }
      },
    });
  }
  const out = {} as Record<V, HotCount>;
  for (const v of values) out[v] = series.get(v) ?? new HotCount();
  return out;
}

/** The single series of a label-less hot counter. */
export function hotTotal(name: string, help: string): HotCount {
  return hotCounter(name, help, null, [''] as const)[''];
}

/** A histogram observed on the hot path: a bucket search and three adds. */
export class HotHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** What prom-client's registry reads from a metric (Registry.getMetricsAsString, getMetricsAsJSON). */
class HotHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly histogram: HotHistogram,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const h = this.histogram;
    const values: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i]!;
      values.push({ labels: { le: h.bounds[i]! }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    values.push({ labels: { le: '+Inf' }, value: h.count, metricName: `${this.name}_bucket` });
    values.push({ labels: {}, value: h.sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: h.count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.histogram.reset();
  }
}

/** A label-less histogram in prom-client's default registry, made once per process. */
export function hotHistogram(name: string, help: string, bounds: readonly number[]): HotHistogram {
  const existing = register.getSingleMetric(name) as unknown as HotHistogramMetric | undefined;
  if (existing !== undefined) return existing.histogram;
  const metric = new HotHistogramMetric(name, help, new HotHistogram(bounds));
  register.registerMetric(metric as unknown as Parameters<typeof register.registerMetric>[0]);
  return metric.histogram;
}
