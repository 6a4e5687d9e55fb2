import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { commandLine, processAlive } from './process-info.js';
import { StartError } from './start-error.js';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

const LOCK_FILE = 'fleetmq.lock';

/**
 * One FleetMQ per data folder: the embedded database, the generated secrets and the cluster
 * pointer are not safe to share. The lock is a file holding the owner's pid; a lock whose
 * process is gone (a SIGKILL, a crash) is stale and taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(resolve(dataDir), LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return { file, release: () => releaseIfOurs(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder !== undefined && holderIsFleetMq(holder)) {
      throw new StartError(
        `another FleetMQ (pid ${holder}) is already running on the data folder ${resolve(dataDir)}`,
        `Stop it first (Ctrl-C in its terminal, or kill ${holder}), or give this one its own FLEETMQ_DATA_DIR`,
      );
    }
    // Stale: its process is gone. Removing it and retrying with 'wx' keeps two racing starts apart.
    try {
      unlinkSync(file);
    } catch {
      /* another start removed it first */
    }
  }
  throw new StartError(`could not take the lock ${file}`, 'Another FleetMQ is starting on the same data folder; try again');
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function holderIsFleetMq(pid: number): boolean {
  if (pid === process.pid || !processAlive(pid)) return false;
  // A recycled pid belongs to some other program; where /proc cannot tell, assume it is FleetMQ.
  const command = commandLine(pid);
  return command === undefined || command.includes('fleetmq');
}

function releaseIfOurs(file: string): void {
  if (readHolder(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}
