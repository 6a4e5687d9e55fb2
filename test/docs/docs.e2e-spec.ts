// The docs tell the truth about the repository: the benchmark and reliability tables are exactly
// what `npm run bench:report` renders from the committed result files, and every repository path
// the docs mention exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeConditions } from '../../bench/lib/docs-tables.js';
import { GENERATED_DOCS, renderDocs } from '../../bench/lib/docs-report.js';
import { GeneratedSectionError, renderSections, sectionSources } from '../../bench/lib/generated-sections.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BEGIN = (source: string): string => `<!-- generated:bench:begin ${source} -->`;
const END = '<!-- generated:bench:end -->';

describe('generated sections', () => {
  it('replaces each section body with what its source renders and keeps the text around it byte for byte', () => {
    const doc = `# Title\n\nintro\n${BEGIN('a.json')}\nstale table\n${END}\nbetween\n${BEGIN('b.json')}\n${END}\n\ntail\n`;
    const out = renderSections(doc, (source) => `table of ${source}\n`);
    expect(out).toBe(`# Title\n\nintro\n${BEGIN('a.json')}\ntable of a.json\n${END}\nbetween\n${BEGIN('b.json')}\ntable of b.json\n${END}\n\ntail\n`);
    expect(sectionSources(doc)).toEqual(['a.json', 'b.json']);
  });

  it('is idempotent: rendering its own output again changes nothing', () => {
    const doc = `${BEGIN('x')}\nold\n${END}`;
    const once = renderSections(doc, () => 'new');
    expect(renderSections(once, () => 'new')).toBe(once);
  });

  it('refuses a begin marker without an end, and an end without a begin', () => {
    expect(() => renderSections(`a\n${BEGIN('x')}\nbody\n`, () => '')).toThrow(GeneratedSectionError);
    expect(() => renderSections(`${BEGIN('x')}\n${BEGIN('y')}\n${END}\n`, () => '')).toThrow(/section x has no/);
    expect(() => renderSections(`a\n${END}\n`, () => '')).toThrow(/line 2/);
  });
});

describe('run conditions in every generated table', () => {
  const conditions = { startedAt: '2026-11-30T08:10:41.000Z', nproc: 2, cpuModel: 'cpu', node: 'v20', commit: 'abc1234', pinning: 'unpinned' };

  it('names a run on a loaded machine as busy, with its load average', () => {
    const text = describeConditions('bench/results/x.json', { ...conditions, loadAverageStart: [7.47, 6.8, 7.1] });
    expect(text).toContain('**Loaded machine** (load average 7.47 at the start on 2 CPUs');
    expect(text).toContain('measured 2026-11-30 08:10Z on commit `abc1234`, 2 CPUs (cpu), Node v20; unpinned.');
  });

  it('names a run on an idle machine as quiet', () => {
    const text = describeConditions('bench/results/x.json', { ...conditions, loadAverageStart: [0.08, 0.1, 0.1] });
    expect(text).toContain('Quiet machine (load average 0.08 at the start).');
    expect(text).not.toContain('busy');
  });
});

describe('docs match the committed results', () => {
  it.each(GENERATED_DOCS)('%s is unchanged by npm run bench:report', (file) => {
    const doc = renderDocs(ROOT).find((d) => d.file === file);
    expect(doc).toBeDefined();
    expect(sectionSources(doc!.before).length).toBeGreaterThan(0);
    // On failure: the docs were edited by hand or a result file changed; run `npm run bench:report`.
    expect(doc!.after).toBe(doc!.before);
  });
});

describe('committed results and the docs', () => {
  const RESULTS = path.join(ROOT, 'bench/results');
  const docsText = GENERATED_DOCS.map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
  const cited = new Set(GENERATED_DOCS.flatMap((f) => sectionSources(readFileSync(path.join(ROOT, f), 'utf8'))));
  const json = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);

  it('every committed result file is shown by a section of the docs', () => {
    const shown = (file: string): boolean => {
      if (file.startsWith('bench/results/uplink/')) return cited.has('bench/results/uplink');
      if (file.startsWith('bench/results/reliability/')) return cited.has(file.replace(/\.(fast|long)\.json$/, ''));
      return cited.has(file);
    };
    // Committed, not merely present: a local `npm run bench` leaves untracked results behind.
    const files = execFileSync('git', ['ls-files', 'bench/results'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => !shown(f))).toEqual([]);
  });

  it('the figures of each cited run appear in the docs as its result file has them', () => {
    // Independent of the renderer: the thousands separator is written out here by hand.
    const asText = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(Math.round(v * 100) / 100));
    const missing: string[] = [];
    for (const source of cited) {
      if (!source.endsWith('.json')) continue;
      if (source.startsWith('bench/results/scale/')) {
        // Per-node figures are derived by the renderer; here each store x node count has its rows.
        const scale = JSON.parse(readFileSync(path.join(ROOT, source), 'utf8')) as { configs: Array<{ store: string; nodes: number }> };
        for (const c of scale.configs) if (!docsText.includes(`| ${c.store} | ${c.nodes} |`)) missing.push(`${source} ${c.store} x${c.nodes}`);
        continue;
      }
      const run = JSON.parse(readFileSync(path.join(ROOT, source), 'utf8')) as { measurements: Array<{ target: string; variant: string; median: Record<string, number> }> };
      for (const m of run.measurements) {
        for (const [metric, v] of Object.entries(m.median)) {
          if (Number.isFinite(v) && !docsText.includes(` ${asText(v)} |`)) missing.push(`${source} ${m.target} ${m.variant} ${metric}=${v}`);
        }
      }
    }
    for (const f of json(path.join(RESULTS, 'uplink'))) {
      const u = JSON.parse(readFileSync(path.join(RESULTS, 'uplink', f), 'utf8')) as { cpuMicrosPerRecord: number };
      if (!docsText.includes(`| ${u.cpuMicrosPerRecord} |`)) missing.push(`uplink/${f} cpuMicrosPerRecord`);
    }
    expect(missing).toEqual([]);
  });
});

describe('paths the docs mention', () => {
  const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const REPO_PATH = /(?<![\w/.-])(?:apps|libs|test|bench|docs|tools|examples)\/[\w@./-]*[\w/]/g;
  const LINK = /\]\(([^)#\s]+)(?:#[^)]*)?\)/g;

  /** `test/reliability/fuzz` (a jest path filter) names `fuzz.e2e-spec.ts`: a prefix of a file name counts. */
  function exists(repoPath: string): boolean {
    const full = path.join(ROOT, repoPath);
    if (existsSync(full)) return true;
    const dir = path.dirname(full);
    return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(`${path.basename(full)}.`));
  }

  function mentioned(file: string): string[] {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const found = new Set<string>();
    for (const line of text.split('\n')) {
      // Placeholders (`bench/results/<timestamp>.json`, `prof-*`) and generated dist paths name no file.
      for (const m of line.matchAll(REPO_PATH)) {
        const after = line[m.index + m[0].length];
        if (after === '<' || after === '*' || after === '{' || m[0].startsWith('dist/')) continue;
        found.add(m[0].replace(/\.$/, ''));
      }
      for (const m of line.matchAll(LINK)) {
        if (/^[a-z]+:/.test(m[1])) continue;
        found.add(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), m[1])));
      }
    }
    return [...found];
  }

  it.each(DOCS)('every repository path in %s exists', (file) => {
    const missing = mentioned(file).filter((p) => !exists(p));
    expect(missing).toEqual([]);
  });

  it.each(DOCS)('%s cites no file outside the repository', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    expect(text.match(/(?:\/work\/|(?<![\w/])shared\/)[\w./-]+/g) ?? []).toEqual([]);
  });

  /** Source files under apps/ and libs/, for the comments that cite a section of a doc. */
  function sources(dir: string): string[] {
    return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
  }

  it('every doc section a code comment cites (DESIGN.md "Section") exists', () => {
    const CITATION = /(?:docs\/)?([A-Z]+\.md) "([^"]+)"/g;
    const headings = (doc: string): string[] =>
      readFileSync(path.join(ROOT, 'docs', doc), 'utf8').split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+\s*/, ''));
    const broken: string[] = [];
    let cited = 0;
    for (const file of [...sources('apps'), ...sources('libs')]) {
      for (const m of readFileSync(path.join(ROOT, file), 'utf8').matchAll(CITATION)) {
        cited++;
        const section = m[2].replace(/\s*\n\s*(?:\*|\/\/)?\s*/g, ' '); // a citation may wrap onto the next comment line
        if (!existsSync(path.join(ROOT, 'docs', m[1])) || !headings(m[1]).includes(section)) broken.push(`${file}: ${m[0]}`);
      }
    }
    expect(cited).toBeGreaterThan(0);
    expect(broken).toEqual([]);
  });
});
