import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkFile, type BoundaryViolation } from './boundary-rules.js';

/** Folders whose TypeScript the boundary rules cover. */
const CHECKED_ROOTS = ['apps', 'libs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

function* typeScriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* typeScriptFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

/** Every boundary violation under apps/ and libs/ of the repository at `root`. */
export function checkBoundaries(root: string): BoundaryViolation[] {
  const violations: BoundaryViolation[] = [];
  for (const top of CHECKED_ROOTS) {
    for (const path of typeScriptFiles(join(root, top))) {
      const file = relative(root, path).split(sep).join('/');
      violations.push(...checkFile(file, readFileSync(path, 'utf8')));
    }
  }
  return violations;
}

export function formatViolation(v: BoundaryViolation): string {
  return `${v.file}: '${v.specifier}' [${v.rule}] ${v.message}`;
}
