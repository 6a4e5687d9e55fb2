/**
 * Renders the benchmark and reliability tables in the docs from the committed result files:
 *   npm run bench:report              rewrite docs/BENCHMARKS.md and docs/RELIABILITY.md
 *   npm run bench:report -- --check   exit 1 if either would change (docs drifted from results)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDocs } from './lib/docs-report.js';
import { REPO_ROOT } from './lib/repo.js';

function main(): void {
  const check = process.argv.includes('--check');
  const unknown = process.argv.slice(2).filter((a) => a !== '--check');
  if (unknown.length) throw new Error(`unknown argument(s) ${unknown.join(' ')} (known: --check)`);
  const stale: string[] = [];
  for (const doc of renderDocs(REPO_ROOT)) {
    if (doc.after === doc.before) continue;
    stale.push(doc.file);
    if (!check) writeFileSync(join(REPO_ROOT, doc.file), doc.after);
  }
  if (check && stale.length) {
    process.stderr.write(`out of date with bench/results/: ${stale.join(', ')} (run npm run bench:report)\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(stale.length ? `rendered: ${stale.join(', ')}\n` : 'docs already match bench/results/\n');
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exitCode = 2;
}
