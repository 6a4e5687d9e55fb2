import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// tools/build-if-changed.mjs (run by `npm start` and `npm install`) in a small project of its own
// whose "build" script counts its runs: it builds when sources changed, not otherwise, and never
// while a process runs from dist/.
describe('tools/build-if-changed.mjs', () => {
  let project: string;
  const builds = () => (existsSync(join(project, 'builds.log')) ? readFileSync(join(project, 'builds.log'), 'utf8').split('\n').filter(Boolean).length : 0);
  const runTool = () => spawnSync(process.execPath, [join(project, 'tools/build-if-changed.mjs')], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  const touch = (file: string, secondsAhead: number) => {
    const when = new Date(Date.now() + secondsAhead * 1000);
    utimesSync(join(project, file), when, when);
  };

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'fleetmq-build-'));
    mkdirSync(join(project, 'tools'));
    mkdirSync(join(project, 'apps/x'), { recursive: true });
    cpSync(resolve('tools/build-if-changed.mjs'), join(project, 'tools/build-if-changed.mjs'));
    writeFileSync(join(project, 'apps/x/main.ts'), 'export {};\n');
    const build = "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/hold.js','setInterval(()=>{},1000)');require('fs').appendFileSync('builds.log','built\\n')";
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'x', private: true, scripts: { build: `node -e "${build}"` } }));
  });
  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('builds the first time, then only when a source changed', () => {
    expect(runTool().status).toBe(0);
    expect(builds()).toBe(1);
    expect(runTool().status).toBe(0);
    expect(builds()).toBe(1);
    touch('apps/x/main.ts', 5);
    expect(runTool().status).toBe(0);
    expect(builds()).toBe(2);
  });

  it('does not rebuild under a process running from dist/, and says why', async () => {
    const running = spawn(process.execPath, ['dist/hold.js'], { cwd: project, stdio: 'ignore' });
    try {
      await new Promise((resolveSpawn) => running.once('spawn', resolveSpawn));
      touch('apps/x/main.ts', 10);
      const result = runTool();
      expect(result.status).toBe(0);
      expect(result.stderr).toContain(`sources changed since the last build, but FleetMQ (pid ${running.pid}) runs from dist/: not rebuilding under it`);
      expect(builds()).toBe(2);
    } finally {
      running.kill();
      await new Promise((resolveExit) => running.once('exit', resolveExit));
    }
    expect(runTool().status).toBe(0);
    expect(builds()).toBe(3);
  });

  it('builds nothing where the sources are not there yet (npm ci in a Docker layer before COPY)', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'fleetmq-build-bare-'));
    try {
      mkdirSync(join(bare, 'tools'));
      cpSync(join(project, 'tools/build-if-changed.mjs'), join(bare, 'tools/build-if-changed.mjs'));
      cpSync(join(project, 'package.json'), join(bare, 'package.json'));
      const result = spawnSync(process.execPath, [join(bare, 'tools/build-if-changed.mjs')], { cwd: bare, encoding: 'utf8', timeout: 60_000 });
      expect(result.status).toBe(0);
      expect(existsSync(join(bare, 'builds.log'))).toBe(false);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
