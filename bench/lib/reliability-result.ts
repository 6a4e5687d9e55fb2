/**
 * What a reliability test writes to bench/results/reliability/<test>.<run>.json when
 * FLEETMQ_RELIABILITY_RESULTS=1 (test/reliability/harness.ts `report`): the counts of its latest run.
 */
export interface ReliabilityResult {
  test: string;
  run: 'fast' | 'long';
  finishedAt: string;
  commit: string;
  machine: { nproc: number; cpuModel: string; node: string; loadAverageStart: number[] };
  figures: Record<string, unknown>;
}
