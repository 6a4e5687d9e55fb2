import { fixedRateTables } from '../../bench/lib/fixed-rate-tables.js';
import { bucketDelta, bucketQuantileMs, readPromGauge, readPromHistogram } from '../../bench/lib/prom-histogram.js';
import type { Measurement } from '../../bench/scenarios/context.js';

/** /metrics text of one histogram as prom-client writes it (cumulative buckets). */
function histogramText(name: string, counts: Record<string, number>): string {
  return Object.entries(counts).map(([le, n]) => `${name}_bucket{le="${le}"} ${n}`).join('\n');
}

describe('fixed-rate scenario: gateway stage histograms', () => {
  const name = 'fleetmq_uplink_ack_seconds';

  it('takes the phase from two scrapes and interpolates its quantiles inside the buckets', () => {
    const before = readPromHistogram([histogramText(name, { '0.001': 10, '0.002': 10, '0.005': 10, '+Inf': 10 })], name);
    // The phase adds 100 samples: 50 in (1, 2] ms, 49 in (2, 5] ms, 1 above 5 ms.
    const after = readPromHistogram([histogramText(name, { '0.001': 10, '0.002': 60, '0.005': 109, '+Inf': 110 })], name);
    const phase = bucketDelta(before, after);
    expect(phase.counts).toEqual([0, 50, 99, 100]);
    expect(bucketQuantileMs(phase, 0.5)).toBe(2);
    expect(bucketQuantileMs(phase, 0.25)).toBe(1.5);
    expect(bucketQuantileMs(phase, 0.99)).toBe(5);
    expect(bucketQuantileMs(phase, 0.999)).toBe(5); // past the last finite bound: that bound
  });

  it('sums the processes, ignores other metrics and has no quantile without samples', () => {
    const a = `${histogramText(name, { '0.001': 1, '+Inf': 2 })}\nfleetmq_other_bucket{le="0.001"} 99`;
    const b = histogramText(name, { '0.001': 3, '+Inf': 3 });
    expect(readPromHistogram([a, b], name).counts).toEqual([4, 5]);
    expect(bucketQuantileMs(bucketDelta(readPromHistogram([a], name), readPromHistogram([a], name)), 0.5)).toBeNaN();
  });

  it('reads the largest value of a gauge', () => {
    expect(readPromGauge(['nodejs_eventloop_lag_max_seconds 0.012\n', 'nodejs_eventloop_lag_max_seconds 0.03'], 'nodejs_eventloop_lag_max_seconds')).toBe(0.03);
    expect(readPromGauge(['x 1'], 'nodejs_eventloop_lag_max_seconds')).toBeNaN();
  });
});

describe('fixed-rate scenario: report tables', () => {
  const point = (direction: string, ratePerSec: number, p50: number[], p99: number[], extra: Record<string, number> = {}): Measurement => {
    const reps = p50.map((x, i) => ({ sent: ratePerSec * 5, received: ratePerSec * 5, lost: 0, p50Ms: x, p99Ms: p99[i], maxMs: 20, eventLoopMaxMs: 4, ...extra }));
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
    return {
      target: 'fleetmq-anon', scenario: 'fixed-rate', variant: `${direction} ${ratePerSec} msg/s`, reps,
      median: { ...reps[0], p50Ms: sorted(p50)[1], p99Ms: sorted(p99)[1] },
      info: { direction, ratePerSec, durationMs: 5000, spread: { p50Ms: [sorted(p50)[0], sorted(p50)[2]], p99Ms: [sorted(p99)[0], sorted(p99)[2]] } },
    };
  };

  it('gives medians with their spread, what FleetMQ adds to Kafka alone, and the verdict against the target', () => {
    const lines = fixedRateTables([
      point('kafka', 10_000, [1, 2, 3], [5, 6, 7], { ackP50Ms: 1, ackP99Ms: 3 }),
      point('uplink', 10_000, [4, 5, 9], [15, 18, 40], { ackP50Ms: 3, ackP99Ms: 12, hookToAckP50Ms: 2, hookToAckP99Ms: 8, gatewayToConsumerP50Ms: 3, gatewayToConsumerP99Ms: 9 }),
      point('downlink-p2p', 5000, [3, 30, 40], [25, 60, 90], { ackP50Ms: 1.5, ackP99Ms: 4, kafkaToGatewayP50Ms: 2, kafkaToGatewayP99Ms: 50, gatewayToSocketP50Ms: 0.3, gatewayToSocketP99Ms: 1 }),
    ], '###').join('\n');
    expect(lines).toContain('| 10,000 | device → backend consumer | 50,000 | 50,000 | 0 | 5 | 18 | 20 | 4–9 | 15–40 | ✓ ≤ 20 | 3 | 12 | 4 |');
    expect(lines).toContain('| 5,000 | Kafka record → device (P2P) | 25,000 | 25,000 | 0 | 30 | 60 | 20 | 3–40 | 25–90 | ✗ > 20 | – | – | 4 |');
    expect(lines).toContain('| 10,000 | 2 | 6 | 1 | 3 |');
    expect(lines).toContain('| 10,000 | 5 | 18 | 3 | 12 | 2 | 8 | 3 | 9 |');
    expect(lines).toContain('| 5,000 | 30 | 60 | 1.5 | 4 | 2 | 50 | 0.3 | 1 |');
  });

  it('renders nothing for a run without the scenario', () => {
    expect(fixedRateTables([{ target: 'aedes', scenario: 'fan-in-qos1', variant: 'x', reps: [], median: {}, info: {} }], '###')).toEqual([]);
  });
});
