import type { DataSource } from 'typeorm';

export abstract class DatabaseHealth {
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  abstract ping(): Promise<void>;
}

export class TypeOrmDatabaseHealth extends DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
