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
