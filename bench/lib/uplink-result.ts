/** What `npm run bench:uplink` writes to bench/results/uplink/: one run of one encoder. */
export interface UplinkCostResult {
  startedAt: string;
  argv: string[];
  machine: { nproc: number; cpuModel: string; node: string; commit: string; cpusAllowed: string; loadAverageStart: number[] };
  encoder: 'fleetmq' | 'kafkajs';
  recordsPerSec: number;
  cpuMicrosPerRecord: number;
  cpuPercentOfOneCore: number;
  seconds: number;
}
