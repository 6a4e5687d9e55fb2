import { Counter, Histogram, register, Registry } from 'prom-client';
import { hotCounter, hotHistogram, hotTotal } from './hot-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('hot metrics', () => {
  it("a hot histogram's exposition is prom-client's own for the same observations", async () => {
    const name = 'test_hot_histogram_seconds';
    const hot = hotHistogram(name, 'help text', BUCKETS);
    const reference = new Registry();
    const prom = new Histogram({ name, help: 'help text', buckets: BUCKETS, registers: [reference] });
    for (const v of [0.0005, 0.001, 0.002, 0.05, 0.5, 3, 0, 0.01]) {
      hot.observe(v);
      prom.observe(v);
    }
    expect(await register.getSingleMetricAsString(name)).toBe(await reference.getSingleMetricAsString(name));
    // Made once per process: a second gateway gets the same histogram.
    expect(hotHistogram(name, 'help text', BUCKETS)).toBe(hot);
  });

  it("hot counters' exposition is prom-client's own, per label and without one, and survives a registry reset", async () => {
    const labelled = hotCounter('test_hot_by_qos_total', 'by qos', 'qos', ['0', '1', '2']);
    const total = hotTotal('test_hot_total', 'total');
    const reference = new Registry();
    const promLabelled = new Counter({ name: 'test_hot_by_qos_total', help: 'by qos', labelNames: ['qos'], registers: [reference] });
    const promTotal = new Counter({ name: 'test_hot_total', help: 'total', registers: [reference] });
    expect(await register.getSingleMetricAsString('test_hot_total')).toBe(await reference.getSingleMetricAsString('test_hot_total'));
    labelled['1'].inc();
    labelled['1'].inc();
    labelled['2'].inc(5);
    total.inc();
    promLabelled.labels('1').inc(2);
    promLabelled.labels('2').inc(5);
    promTotal.inc();
    expect(await register.getSingleMetricAsString('test_hot_by_qos_total')).toBe(await reference.getSingleMetricAsString('test_hot_by_qos_total'));
    expect(await register.getSingleMetricAsString('test_hot_total')).toBe(await reference.getSingleMetricAsString('test_hot_total'));
    // The totals live in the hot series; a reset of prom-client's copy does not lose them.
    register.resetMetrics();
    expect(await register.getSingleMetricAsString('test_hot_total')).toBe(await reference.getSingleMetricAsString('test_hot_total'));
    expect(hotCounter('test_hot_by_qos_total', 'by qos', 'qos', ['0', '1', '2'])['1']).toBe(labelled['1']);
  });
});
