import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STAMP = 'dist/console-web/.source-hash';
const INDEX = 'dist/console-web/index.html';

// `npm run build` runs build:web; a start must not rebuild a web console whose sources did not change.
describe('npm run build:web', () => {
  const buildWeb = async (): Promise<string> => (await run(process.execPath, ['tools/build-web.mjs'], { timeout: 120_000 })).stdout;

  it('skips the build when the sources hash as at the last build, and rebuilds when they do not', async () => {
    await buildWeb(); // whatever state the checkout is in, it is built after this
    const built = await stat(INDEX);
    expect(await buildWeb()).toContain('up to date');
    expect((await stat(INDEX)).mtimeMs).toBe(built.mtimeMs);

    // A stamp that no longer matches stands for changed sources.
    const stamp = await readFile(STAMP, 'utf8');
    await writeFile(STAMP, 'changed-sources\n');
    const output = await buildWeb();
    expect(output).toContain('built in');
    expect(await readFile(STAMP, 'utf8')).toBe(stamp);
    expect((await stat(INDEX)).mtimeMs).toBeGreaterThan(built.mtimeMs);
  }, 180_000);
});
