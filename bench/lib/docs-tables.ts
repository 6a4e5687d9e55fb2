/**
 * Markdown for the generated sections of docs/BENCHMARKS.md and docs/RELIABILITY.md, from parsed
 * result files. Pure and deterministic: the same results give the same bytes on any machine.
 */
import { formatFigure, kafkaWarmupText, scenarioTables, type BenchReport } from './report.js';
import type { ReliabilityResult } from './reliability-result.js';
import type { UplinkCostResult } from './uplink-result.js';

/**
 * A one-minute load average at or above this share of the CPUs means other work competed with
 * the run (an idle machine reads ~0); the tables then say the figures are from a busy machine.
 */
const BUSY_LOAD_PER_CPU = 0.25;

interface RunConditions {
  startedAt: string;
  nproc: number;
  cpuModel: string;
  node: string;
  commit: string;
  pinning: string;
  loadAverageStart: number[];
}

/** When, where and under what load a result was measured; every generated table starts with it. */
export function describeConditions(source: string, c: RunConditions): string {
  const load = c.loadAverageStart[0] ?? 0;
  const busy = load >= BUSY_LOAD_PER_CPU * c.nproc;
  const when = `${c.startedAt.slice(0, 10)} ${c.startedAt.slice(11, 16)}Z`;
  const loadText = `load average ${load.toFixed(2)} at the start`;
  return [
    `Source: \`${source}\` — measured ${when} on commit \`${c.commit}\`, ${c.nproc} CPUs (${c.cpuModel}), Node ${c.node}; ${c.pinning}.`,
    busy
      ? `**Loaded machine** (${loadText} on ${c.nproc} CPUs: other work ran at the same time or had just run, e.g. an earlier benchmark), so timings, rates and memory figures are noisy.`
      : `Quiet machine (${loadText}).`,
  ].join('\n');
}

/** One `npm run bench` result: its conditions, the command, a table per scenario variant, failures. */
export function renderBenchRun(source: string, r: BenchReport): string {
  const m = r.machine;
  const lines = [
    describeConditions(source, { startedAt: r.startedAt, nproc: m.nproc, cpuModel: m.cpuModel, node: m.node, commit: m.commit, pinning: pinningText(m.pinning), loadAverageStart: m.loadAverageStart }),
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Profile \`${r.profile}\`: \`${r.reproduce}\`. Ratios compare targets of this run only.`,
    ...(r.kafkaWarmup ? [kafkaWarmupText(r.kafkaWarmup)] : []),
    '',
    ...scenarioTables(r, '####'),
    ...exactnessTable(r),
  ];
  for (const p of r.cpuProfiles) {
    lines.push(`#### CPU profile: ${p.target} / ${p.scenario} (self time, ${formatFigure(p.totalMs)} ms busy)`, '', '| self % | function | location |', '|---:|---|---|');
    for (const h of p.top) lines.push(`| ${h.selfPercent} | ${h.name} | ${h.location} |`);
    lines.push('');
  }
  if (r.failures.length) {
    lines.push('Failures in this run:', '');
    for (const f of r.failures) lines.push(`- ${f.target} / ${f.scenario}: ${f.error.split('\n')[0]}`);
  }
  return lines.join('\n');
}

interface Exactness {
  sent: number;
  acked: number;
  unexpectedAcks: number;
  outstandingAfterDrain: number;
  disconnects: number;
}

/** The generator's own counts of every PUBLISH it sent and every PUBACK it got, summed over repetitions. */
function exactnessTable(r: BenchReport): string[] {
  const rows = r.measurements.filter((m) => Array.isArray(m.info.exactness));
  if (rows.length === 0) return [];
  const lines = ['#### Exactness (the generator\'s counts, all repetitions; at QoS 0, acked = read by the broker, proved by a marker\'s PUBACK)', '', '| target | scenario | sent | acked | unexpected PUBACKs | outstanding after the drain | disconnects |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const m of rows) {
    const reps = m.info.exactness as Exactness[];
    const sum = (k: keyof Exactness): string => formatFigure(reps.reduce((n, e) => n + e[k], 0));
    lines.push(`| ${m.target} | ${m.scenario} | ${sum('sent')} | ${sum('acked')} | ${sum('unexpectedAcks')} | ${sum('outstandingAfterDrain')} | ${sum('disconnects')} |`);
  }
  lines.push('');
  return lines;
}

function pinningText(pinning: string): string {
  return pinning === 'none' ? 'unpinned' : `pinned: ${pinning}`;
}

/** Every `npm run bench:uplink` result in a folder, one row per run, oldest first. */
export function renderUplinkRuns(source: string, runs: Array<{ file: string; result: UplinkCostResult }>): string {
  if (runs.length === 0) throw new Error(`${source}: no result files`);
  const sorted = [...runs].sort((a, b) => a.file.localeCompare(b.file));
  const first = sorted[0].result;
  const lines = [
    describeConditions(source, { ...first.machine, startedAt: first.startedAt, pinning: 'CPUs allowed per run in the table' }),
    '',
    '| result file | encoder | CPUs allowed | load average at start | records/s acknowledged | CPU µs per record | CPU % of one core |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const { file, result: u } of sorted) {
    lines.push(`| \`${file}\` | ${u.encoder} | ${u.machine.cpusAllowed} | ${u.machine.loadAverageStart[0].toFixed(2)} | ${formatFigure(u.recordsPerSec)} | ${u.cpuMicrosPerRecord} | ${u.cpuPercentOfOneCore} |`);
  }
  return lines.join('\n');
}

/** The fast and/or long run of one reliability test: one row per figure, one column per run. */
export function renderReliability(source: string, runs: ReliabilityResult[]): string {
  if (runs.length === 0) throw new Error(`${source}: no result files`);
  const sorted = [...runs].sort((a, b) => a.run.localeCompare(b.run));
  const lines = sorted.map((r) =>
    `- \`${r.run}\`: ${describeConditions(`${source}.${r.run}.json`, { ...r.machine, commit: r.commit, startedAt: r.finishedAt, pinning: 'unpinned' }).replace('\n', '\n  ')}`,
  );
  const figures = [...new Set(sorted.flatMap((r) => Object.keys(flatten(r.figures))))];
  lines.push('', `| figure | ${sorted.map((r) => r.run).join(' | ')} |`, `|---|${sorted.map(() => '---:|').join('')}`);
  const flat = sorted.map((r) => flatten(r.figures));
  // A seed is a name for a run, not a quantity: printed as the test prints it, for FUZZ_SEED=<n>.
  for (const f of figures) lines.push(`| ${f} | ${flat.map((x) => (f === 'seed' ? String(x[f] ?? '–') : cell(x[f]))).join(' | ')} |`);
  return lines.join('\n');
}

function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

function cell(v: unknown): string {
  if (v === undefined) return '–';
  if (typeof v === 'number') return formatFigure(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? formatFigure(x) : String(x))).join(' / ');
  return String(v).replace(/\|/g, '\\|');
}
