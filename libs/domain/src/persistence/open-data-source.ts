import pg from 'pg';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, type DataSourceSettings } from './data-source.js';

/** Creates the schema when asked for one, connects, and applies pending migrations. */
export async function openDataSource(url: string, settings: DataSourceSettings = {}): Promise<DataSource> {
  if (settings.schema !== undefined) await ensureSchema(url, settings.schema);
  const dataSource = new DataSource(createDataSourceOptions(url, settings));
  await dataSource.initialize();
  return dataSource;
}

export async function ensureSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await client.end();
  }
}
