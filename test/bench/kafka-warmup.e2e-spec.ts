import { renderBenchRun } from '../../bench/lib/docs-tables.js';
import { warmKafka } from '../../bench/lib/kafka-warmup.js';
import type { BenchReport } from '../../bench/lib/report.js';
import { describeWithKafka, testKafkaBrokers } from '../helpers/kafka.js';

describeWithKafka('bench: Kafka warm-up before the first measurement', () => {
  it('produces with acks=all and fetches on its own topic for the time asked, reporting each second', async () => {
    const lines: string[] = [];
    const result = await warmKafka(testKafkaBrokers(), 2_500, (line) => lines.push(line));
    expect(result.durationMs).toBeGreaterThanOrEqual(2_500);
    expect(result.produced).toBeGreaterThan(0);
    expect(result.produced % 500).toBe(0);
    // Read back while it produced: the fetch path is warmed too.
    expect(result.consumed).toBeGreaterThan(0);
    expect(result.consumed).toBeLessThanOrEqual(result.produced);
    expect(result.firstSecondPerSec).toBeGreaterThan(0);
    expect(result.lastSecondPerSec).toBeGreaterThan(0);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^kafka warm-up: 1\/3 s, \d+ records\/s acknowledged$/);
  }, 60_000);
});

describe('bench: the warm-up in the generated tables', () => {
  const report = (kafkaWarmup?: BenchReport['kafkaWarmup']): BenchReport => ({
    startedAt: '2026-11-30T23:00:00.000Z', profile: 'default', argv: [],
    machine: { nproc: 2, cpuModel: 'cpu', memoryGiB: 24, kernel: 'k', node: 'v20', versions: {}, commit: 'abc1234', loadAverageStart: [0.1], pinning: 'none' },
    targets: [], measurements: [], ratios: [], cpuProfiles: [], failures: [], reproduce: 'npm run bench', ...(kafkaWarmup ? { kafkaWarmup } : {}),
  });

  it('says how long Kafka was driven and how fast it acknowledged in its first and last second', () => {
    const text = renderBenchRun('x.json', report({ durationMs: 30_012, produced: 4_000_000, consumed: 3_990_000, firstSecondPerSec: 78_032, lastSecondPerSec: 139_500 }));
    expect(text).toContain('Kafka warmed up first: 30 s of produce (acks=all) and fetch on its own topic, 78,032 records/s acknowledged in the first second, 139,500 in the last.');
  });

  it('says nothing of a warm-up for results that had none', () => {
    expect(renderBenchRun('x.json', report())).not.toContain('warmed up');
  });
});
