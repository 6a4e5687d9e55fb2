import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is dist/bench/lib/repo.js once built). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${REPO_ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
