import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:web` writes the web console (tools/build-web.mjs). */
export const WEB_BUILD_DIR = join('dist', 'console-web');

/**
 * The built web console of this checkout: found from this module's own location (dist/ when
 * run, the sources under jest), so the current directory does not matter.
 */
export function webConsoleDir(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'fleetmq') {
      return join(dir, WEB_BUILD_DIR);
    }
    if (dirname(dir) === dir) throw new Error(`web console: no fleetmq package.json above ${from}`);
  }
}
