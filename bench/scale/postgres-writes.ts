import pg from 'pg';

export interface PostgresWrites {
  transactions: number;
  clientSessionRowsWritten: number;
}

/**
 * Transactions committed in the bench database and rows written to `client_sessions`
 * (inserted + updated + deleted), from pg_stat. Backends report their counts when idle, at
 * most every second and, after a busy second, up to ten seconds later
 * (PGSTAT_IDLE_INTERVAL): callers wait STATS_SETTLE_MS before the last read.
 */
export async function readPostgresWrites(databaseUrl: string): Promise<PostgresWrites> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ xacts: string; rows: string | null }>(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS xacts,
              (SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relname = 'client_sessions') AS rows`,
    );
    return { transactions: Number(r.rows[0]?.xacts ?? 0), clientSessionRowsWritten: Number(r.rows[0]?.rows ?? 0) };
  } finally {
    await client.end();
  }
}

export const STATS_SETTLE_MS = 11_000;

const BACKENDS_GONE_TIMEOUT_MS = 30_000;

export class BenchDatabaseBusyError extends Error {
  constructor(database: string, backends: number) {
    super(`${backends} backend(s) still connected to ${database} ${BACKENDS_GONE_TIMEOUT_MS} ms after the gateways stopped (another run on the same FLEETMQ_BENCH_DB?)`);
    this.name = 'BenchDatabaseBusyError';
  }
}

/**
 * Waits, watching from `adminUrl` (another database), until no backend is connected to the one
 * `databaseUrl` names. A backend reports its pending statistics as it exits, so once the
 * gateways are stopped and their backends gone, readPostgresWrites sees every write without
 * waiting out STATS_SETTLE_MS. The backend leaves pg_stat_activity just before its last report:
 * one more poll interval covers that.
 */
export async function waitForBackendsGone(adminUrl: string, databaseUrl: string): Promise<void> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const until = Date.now() + BACKENDS_GONE_TIMEOUT_MS;
    for (;;) {
      const r = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
      const backends = r.rows[0]?.n ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (backends === 0) return;
      if (Date.now() > until) throw new BenchDatabaseBusyError(database, backends);
    }
  } finally {
    await client.end();
  }
}
