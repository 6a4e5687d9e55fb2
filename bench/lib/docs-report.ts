/**
 * Renders the generated sections of the docs from the result files committed under
 * bench/results/ (`npm run bench:report`; `--check` only compares). A section's source says
 * what it is:
 *   bench/results/<stamp>.json                 one `npm run bench` run
 *   bench/results/uplink                       every `npm run bench:uplink` result in that folder
 *   bench/results/reliability/<test>           <test>.fast.json and/or <test>.long.json
 *   bench/results/scale/<stamp>.json           one `npm run bench:scale` run
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderBenchRun, renderReliability, renderUplinkRuns } from './docs-tables.js';
import { renderSections } from './generated-sections.js';
import type { ReliabilityResult } from './reliability-result.js';
import type { BenchReport } from './report.js';
import type { ScaleResult } from './scale-result.js';
import { renderScaleRun } from './scale-tables.js';
import type { UplinkCostResult } from './uplink-result.js';

/** The documents whose generated sections the report command renders. */
export const GENERATED_DOCS = ['docs/BENCHMARKS.md', 'docs/RELIABILITY.md', 'docs/SCALING.md'];

export class MissingResultError extends Error {
  override readonly name = 'MissingResultError';
}

export interface RenderedDoc {
  file: string;
  before: string;
  after: string;
}

export function renderDocs(root: string): RenderedDoc[] {
  return GENERATED_DOCS.map((file) => renderDoc(root, file));
}

export function renderDoc(root: string, file: string): RenderedDoc {
  const before = readFileSync(join(root, file), 'utf8');
  return { file, before, after: renderSections(before, (source) => renderSource(root, source)) };
}

function renderSource(root: string, source: string): string {
  const path = join(root, source);
  if (source.startsWith('bench/results/reliability/')) {
    const runs = ['fast', 'long']
      .map((run) => `${path}.${run}.json`)
      .filter((file) => existsSync(file))
      .map((file) => readJson<ReliabilityResult>(file));
    if (runs.length === 0) throw new MissingResultError(`${source}: neither ${source}.fast.json nor ${source}.long.json exists`);
    return renderReliability(source, runs);
  }
  if (source === 'bench/results/uplink') {
    if (!existsSync(path)) throw new MissingResultError(`${source}: folder does not exist`);
    const files = readdirSync(path).filter((f) => f.endsWith('.json')).sort();
    return renderUplinkRuns(source, files.map((f) => ({ file: `${source}/${f}`, result: readJson<UplinkCostResult>(join(path, f)) })));
  }
  if (source.startsWith('bench/results/scale/') && source.endsWith('.json')) {
    if (!existsSync(path)) throw new MissingResultError(`${source}: result file does not exist`);
    return renderScaleRun(source, readJson<ScaleResult>(path));
  }
  if (source.startsWith('bench/results/') && source.endsWith('.json')) {
    if (!existsSync(path)) throw new MissingResultError(`${source}: result file does not exist`);
    return renderBenchRun(source, readJson<BenchReport>(path));
  }
  throw new MissingResultError(`${source}: not a result file or folder under bench/results/`);
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
