// Builds what is out of date before a start (and once at `npm install`, through "prepare"):
// each step runs when a file under its sources is newer than its last successful build. It never
// rebuilds dist/ under a running FleetMQ process (any role started from this dist/): the running
// one keeps its files, and the new build happens at the next start after it stopped.
// The server step runs `npm run build`, which also builds the web console (tools/build-web.mjs skips it when its sources are unchanged).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMPS = join(DIST, '.build-stamps');

/**
 * name: stamp file; sources: folders and files (relative to the repo) whose change needs the step,
 * the first being the step's own folder; script: the npm script.
 */
const STEPS = [
  { name: 'server', sources: ['apps', 'libs', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json'], script: 'build' },
];

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.fleetmq', 'results']);

function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** Processes running a script from this dist/ (Linux /proc; elsewhere none are seen). */
function processesUsingDist() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return [];
  }
  const found = [];
  for (const pid of pids) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!/(^|\/)node$/.test(argv[0] ?? '')) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (argv.slice(1).some((arg) => arg.endsWith('.js') && resolve(cwd, arg).startsWith(DIST + sep))) found.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

const outOfDate = STEPS.filter((step) => {
  const stamp = join(STAMPS, step.name);
  // Installed without sources (`npm ci` in a Docker layer before `COPY . .`): nothing to build yet.
  if (!existsSync(join(ROOT, step.sources[0]))) return false;
  const sources = step.sources.map((source) => join(ROOT, source)).filter((path) => existsSync(path));
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  return Math.max(...sources.map(newestMtime)) > built;
});

if (outOfDate.length > 0) {
  const running = processesUsingDist();
  if (running.length > 0) {
    process.stderr.write(
      `sources changed since the last build, but FleetMQ (pid ${running.join(', ')}) runs from dist/: not rebuilding under it; ` +
        'the next start after it stopped rebuilds\n',
    );
  } else {
    for (const step of outOfDate) {
      const startedAt = new Date();
      process.stderr.write(`building (${step.name}): npm run ${step.script} ...\n`);
      const result = spawnSync('npm', ['run', step.script, '--silent'], { cwd: ROOT, stdio: 'inherit' });
      if (result.status !== 0) {
        process.stderr.write(`build (${step.name}) failed: fix the errors above and start again\n`);
        process.exit(result.status ?? 1);
      }
      // The stamp carries the time the build started: a file saved during the build makes the next start build again.
      mkdirSync(STAMPS, { recursive: true });
      const stamp = join(STAMPS, step.name);
      writeFileSync(stamp, `${startedAt.toISOString()}\n`);
      utimesSync(stamp, startedAt, startedAt);
    }
  }
}
