// `npm run build:web`: builds the web console (apps/console/web, Vite) into dist/console-web,
// which the console serves at `/`. Skipped when the sources, the build config and the
// installed dependency versions hash the same as at the last build (a stamp beside the output).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const webRoot = join(root, 'apps', 'console', 'web');
const outDir = join(root, 'dist', 'console-web');
const stampFile = join(outDir, '.source-hash');

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .filter((file) => !file.endsWith('.spec.ts'))
    .sort();
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(webRoot), join(root, 'package-lock.json')]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const wanted = sourceHash();
const force = process.argv.includes('--force');
if (!force && existsSync(join(outDir, 'index.html')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === wanted) {
  console.log('web console: up to date (dist/console-web), build skipped');
} else {
  console.log('web console: building apps/console/web -> dist/console-web (Vite)');
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(webRoot, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stampFile, `${wanted}\n`);
  console.log(`web console: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
