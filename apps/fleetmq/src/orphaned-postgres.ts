import { readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '#config';
import { commandLine, processAlive } from './process-info.js';
import { StartError } from './start-error.js';

const STOP_WAIT_MS = 30_000;

/**
 * Called with the data-folder lock held, so no live FleetMQ owns this cluster: a postgres still
 * running on it was left behind by a FleetMQ that was killed (SIGKILL, OOM) and is stopped; a
 * postmaster.pid whose process is gone is removed. Both are safe: nothing else may use it.
 */
export async function recoverOrphanedServer(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return; // no pid file: the cluster was shut down cleanly
  }
  if (processAlive(pid)) {
    const command = commandLine(pid);
    const ours = command !== undefined && command.includes(realpathSync(clusterDir));
    if (command === undefined) {
      throw new StartError(
        `an embedded PostgreSQL (pid ${pid}) still runs on ${clusterDir}, left by an earlier FleetMQ`,
        `Stop it (kill -INT ${pid}) and start again`,
      );
    }
    if (ours) {
      logger.warn({ postgresPid: pid, clusterDir }, 'stopping the embedded PostgreSQL a killed FleetMQ left running');
      process.kill(pid, 'SIGINT');
      const deadline = Date.now() + STOP_WAIT_MS;
      while (processAlive(pid)) {
        if (Date.now() > deadline) {
          throw new StartError(`the orphaned embedded PostgreSQL (pid ${pid}) on ${clusterDir} did not stop`, `Stop it (kill -9 ${pid}) and start again`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return;
    }
  }
  // The pid is gone or now belongs to another program: the file is stale.
  logger.info({ postgresPid: pid, clusterDir }, 'removing a stale postmaster.pid');
  try {
    unlinkSync(pidFile);
  } catch {
    /* already gone */
  }
}
