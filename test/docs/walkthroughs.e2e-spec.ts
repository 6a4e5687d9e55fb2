import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaBrokers } from '../helpers/kafka.js';
import { AllInOneProcess, allInOneEnv, freeAllInOnePorts, removeDataDir, type AllInOnePorts } from '../helpers/fleetmq-process.js';
import { WalkthroughShell, extractShellBlocks, substitutePorts, type ShellBlock } from './walkthrough.js';

// Every walkthrough of README.md and docs/*.md runs as written, in order, against a real FleetMQ
// started as `npm start` does (embedded PostgreSQL; Kafka: the test broker, found by the docs in
// .tools/kafka/state.env as npm start's local Kafka would be), in a temporary copy of the docs and
// examples with this run's ports. The markers and conventions are described in walkthrough.ts.
const ROOT = resolve('.');
const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const BLOCK_TIMEOUT_MS = 60_000;
const EFFECT_TIMEOUT_MS = 60_000;

describe('walkthrough blocks (parser)', () => {
  const doc = [
    'text',
    '```bash',
    'echo one',
    '# device prints: connected as GID_a@@@d1',
    '# prints: command on cmd/p2p/x: {"ack":"...',
    '```',
    '<!-- walkthrough: skip (installs packages) -->',
    '```bash',
    'npm install',
    '```',
    '<!-- walkthrough: background (terminal 1) -->',
    '```bash',
    'node server.mjs',
    '```',
    '```jsonc',
    '{ "not": "shell" }',
    '```',
  ].join('\n');

  it('finds bash blocks with their line, marker, reason and stated effects', () => {
    const blocks = extractShellBlocks(doc, 'X.md');
    expect(blocks.map((b) => [b.line, b.mode, b.reason])).toEqual([
      [2, 'run', undefined],
      [8, 'skip', 'installs packages'],
      [12, 'background', 'terminal 1'],
    ]);
    expect(blocks[0].expectations).toEqual(['connected as GID_a@@@d1', 'command on cmd/p2p/x: {"ack":"']);
  });

  it('substitutes the documented ports only', () => {
    expect(substitutePorts('curl 127.0.0.1:8080/api; mosquitto_pub -p 1884; ws :8083; id 18080', { http: 4001, mqtt: 4002, ws: 4003 })).toBe(
      'curl 127.0.0.1:4001/api; mosquitto_pub -p 4002; ws :4003; id 18080',
    );
  });
});

const describeWithKafka = kafkaBrokers() ? describe : describe.skip;

describeWithKafka('walkthroughs of README.md and docs/*.md', () => {
  let copy: string;
  let ports: AllInOnePorts;
  let fleetmq: AllInOneProcess;
  let shell: WalkthroughShell | undefined;
  const blocks: ShellBlock[] = [];

  beforeAll(async () => {
    const missing = ['curl', 'jq', 'openssl', 'mosquitto_pub', 'mosquitto_sub'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
    if (missing.length > 0) throw new Error(`the walkthroughs need ${missing.join(', ')} (README: "Needs curl, jq, openssl and mosquitto-clients")`);
    copy = await mkdtemp(join(tmpdir(), 'fleetmq-walkthrough-'));
    ports = await freeAllInOnePorts();
    // The temporary copy: docs and examples with this run's ports, the installed packages.
    mkdirSync(join(copy, 'docs'));
    mkdirSync(join(copy, 'examples'));
    for (const file of [...DOC_FILES, ...readdirSync(join(ROOT, 'examples')).map((name) => `examples/${name}`)]) {
      writeFileSync(join(copy, file), substitutePorts(readFileSync(join(ROOT, file), 'utf8'), ports));
    }
    for (const file of DOC_FILES) blocks.push(...extractShellBlocks(readFileSync(join(copy, file), 'utf8'), file));
    writeFileSync(join(copy, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    mkdirSync(join(copy, '.tools/kafka'), { recursive: true });
    writeFileSync(join(copy, '.tools/kafka/state.env'), `KAFKA_BROKERS=${kafkaBrokers()!.join(',')}\n`);

    fleetmq = AllInOneProcess.start(allInOneEnv(join(copy, '.fleetmq'), ports, { LOG_LEVEL: 'warn' }), { cwd: copy });
    await fleetmq.waitForOutput('FleetMQ ready', 120_000);
  }, 150_000);

  afterAll(async () => {
    await shell?.close();
    await fleetmq?.stop();
    await removeDataDir(join(copy, '.fleetmq'));
    await rm(copy, { recursive: true, force: true });
  }, 90_000);

  it('skips only marked blocks, each with its reason', () => {
    const skipped = blocks.filter((block) => block.mode === 'skip');
    process.stderr.write(`[walkthrough] skipped blocks:\n${skipped.map((b) => `  ${b.file}:${b.line} (${b.reason})`).join('\n')}\n`);
    for (const block of skipped) expect(block.reason).toMatch(/\w{3,}/);
    expect(blocks.filter((block) => block.mode !== 'skip').length).toBeGreaterThanOrEqual(8);
  });

  it('runs every block in order, each command succeeding and each stated effect seen', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', GROUP_ID: `walkthrough-${process.pid}-${Date.now()}` };
    shell = new WalkthroughShell(copy, env);
    for (const block of blocks) {
      if (block.mode === 'skip') continue;
      const where = `${block.file}:${block.line}`;
      const from = shell.output.length;
      const failures = await shell.run(block, BLOCK_TIMEOUT_MS);
      if (failures.length > 0) {
        throw new Error(`${where}: a command failed: ${failures[0]}\n--- block ---\n${block.code}\n--- output of the block ---\n${shell.output.slice(from)}`);
      }
      for (const text of block.expectations) {
        await shell.waitFor(text, EFFECT_TIMEOUT_MS, from, `${where}: the doc says "${text}" gets printed; it did not within ${EFFECT_TIMEOUT_MS / 1000}s\n--- output since the block ---\n${shell.output.slice(from)}`);
      }
      process.stderr.write(`[walkthrough] ok ${where}${block.mode === 'background' ? ' (background)' : ''}\n`);
    }
    expect(fleetmq.running).toBe(true);
  }, 15 * 60_000);
});
