import type { Measurement } from '../scenarios/context.js';
import type { HotFunction } from './cpu-profile.js';
import { fixedRateTables, isFixedRate } from './fixed-rate-tables.js';
import type { KafkaWarmupResult } from './kafka-warmup.js';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  versions: Record<string, string>;
  commit: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
  pinning: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt?: string;
  profile: string;
  argv: string[];
  machine: MachineInfo;
  targets: Array<{ name: string; description: string }>;
  measurements: Measurement[];
  ratios: Ratio[];
  cpuProfiles: Array<{ target: string; scenario: string; file: string; totalMs: number; top: HotFunction[] }>;
  failures: Array<{ target: string; scenario: string; error: string }>;
  reproduce: string;
  /** Kafka driven before anything was measured (FleetMQ targets only; absent in older results). */
  kafkaWarmup?: KafkaWarmupResult;
}

export interface Ratio {
  target: string;
  peer: string;
  scenario: string;
  variant: string;
  metric: string;
  value: number;
  peerValue: number;
  ratio: number;
}

const PEERS = ['mosquitto', 'aedes'];

/** Every FleetMQ figure divided by the same figure of each peer from the same run. */
export function computeRatios(ms: Measurement[]): Ratio[] {
  const out: Ratio[] = [];
  for (const m of ms) {
    if (PEERS.includes(m.target)) continue;
    for (const peer of PEERS) {
      const p = ms.find((x) => x.target === peer && x.scenario === m.scenario && x.variant === m.variant);
      if (!p) continue;
      for (const [metric, value] of Object.entries(m.median)) {
        const peerValue = p.median[metric];
        if (peerValue === undefined || !Number.isFinite(value) || !Number.isFinite(peerValue) || peerValue === 0) continue;
        out.push({ target: m.target, peer, scenario: m.scenario, variant: m.variant, metric, value, peerValue, ratio: Math.round((value / peerValue) * 1000) / 1000 });
      }
    }
  }
  return out;
}

/** Thousands separated by commas, small values to two decimals; the same text on every machine. */
export function formatFigure(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return String(Math.round(v * 100) / 100);
}

/** One sentence on the run's Kafka warm-up, for its Markdown and the docs' tables. */
export function kafkaWarmupText(w: KafkaWarmupResult): string {
  return `Kafka warmed up first: ${formatFigure(Math.round(w.durationMs / 1000))} s of produce (acks=all) and fetch on its own topic, ${formatFigure(w.firstSecondPerSec)} records/s acknowledged in the first second, ${formatFigure(w.lastSecondPerSec)} in the last.`;
}

export function toMarkdown(r: BenchReport): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(`# FleetMQ benchmark run ${r.startedAt}`, '');
  lines.push(`Profile \`${r.profile}\`, commit \`${m.commit}\`. Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}; ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  lines.push(`Pinning: ${m.pinning}. Load average at start ${m.loadAverageStart.map((x) => x.toFixed(2)).join(' / ')}${m.loadAverageEnd ? `, at end ${m.loadAverageEnd.map((x) => x.toFixed(2)).join(' / ')}` : ''} (anything above ~0 means other work shared the CPUs).`);
  if (r.kafkaWarmup) lines.push(kafkaWarmupText(r.kafkaWarmup));
  lines.push(`Reproduce: \`${r.reproduce}\``, '');
  lines.push(...scenarioTables(r, '##'));
  if (r.failures.length) {
    lines.push('## Failures', '');
    for (const f of r.failures) lines.push(`- ${f.target} / ${f.scenario}: ${f.error.split('\n')[0]}`);
    lines.push('');
  }
  for (const p of r.cpuProfiles) {
    lines.push(`## CPU profile: ${p.target} / ${p.scenario} (${p.totalMs} ms busy)`, '', '| self % | self ms | function | location |', '|---:|---:|---|---|');
    for (const h of p.top) lines.push(`| ${h.selfPercent} | ${h.selfMs} | ${h.name} | ${h.location} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** One table per scenario variant: every target's medians and each FleetMQ target's ratio to each peer. */
export function scenarioTables(r: BenchReport, heading: string): string[] {
  const lines: string[] = [];
  const groups = new Map<string, Measurement[]>();
  for (const x of r.measurements) {
    if (isFixedRate(x)) continue;
    const key = `${x.scenario} — ${x.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  const fleet = [...new Set(r.measurements.filter((x) => !PEERS.includes(x.target)).map((x) => x.target))];
  for (const [key, ms] of groups) {
    const targets = ms.map((x) => x.target);
    const metrics = [...new Set(ms.flatMap((x) => Object.keys(x.median)))];
    const ratioCols = fleet.filter((t) => targets.includes(t)).flatMap((t) => PEERS.filter((p) => targets.includes(p)).map((p) => [t, p] as const));
    lines.push(`${heading} ${key}`, '');
    lines.push(`| metric | ${targets.join(' | ')} |${ratioCols.map(([t, p]) => ` ${t} / ${p} |`).join('')}`);
    lines.push(`|---|${targets.map(() => '---:|').join('')}${ratioCols.map(() => '---:|').join('')}`);
    for (const metric of metrics) {
      const cells = ms.map((x) => formatFigure(x.median[metric]));
      const ratios = ratioCols.map(([t, p]) => {
        const ratio = r.ratios.find((q) => q.target === t && q.peer === p && q.scenario === ms[0].scenario && q.variant === ms[0].variant && q.metric === metric);
        return ratio ? `${ratio.ratio.toFixed(2)}x` : '–';
      });
      lines.push(`| ${metric} | ${cells.join(' | ')} |${ratios.map((x) => ` ${x} |`).join('')}`);
    }
    const repsNote = ms.map((x) => `${x.target}: ${x.reps.length} rep(s)`).join(', ');
    lines.push('', `Medians of repetitions (${repsNote}).`, '');
  }
  lines.push(...fixedRateTables(r.measurements, heading));
  return lines;
}
