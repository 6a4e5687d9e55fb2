import type { NestExpressApplication } from '@nestjs/platform-express';
import type { App } from 'supertest/types.js';
import { loadConfig, type DependencyCheck, type FleetMqConfig } from '#config';
import { openDataSource } from '#domain/persistence';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { createConsoleApp } from '../../apps/console/src/create-console-app.js';
import type { ConsoleMessaging } from '../../apps/console/src/messaging/console-messaging.js';
import { InMemoryConsoleMessaging } from '../../apps/console/src/messaging/in-memory-console-messaging.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ConsoleTestApp {
  app: NestExpressApplication;
  /** The HTTP server for supertest. */
  server: App;
  dataSource: DataSource;
  /** What the console sent, unless a real messaging implementation was given. */
  messaging: InMemoryConsoleMessaging;
  config: FleetMqConfig;
  schema: string;
  close(): Promise<void>;
}

/** A console over a fresh PostgreSQL schema; the messaging side is recorded in memory. */
export async function startConsole(
  prefix: string,
  env: Record<string, string> = {},
  options: { messaging?: ConsoleMessaging; readinessChecks?: DependencyCheck[] } = {},
): Promise<ConsoleTestApp> {
  const schema = uniqueSchema(prefix);
  const dataSource = await openDataSource(testDatabaseUrl(), { schema, poolSize: 4 });
  const config = loadConfig('console', {
    DATABASE_URL: testDatabaseUrl(),
    FLEETMQ_ADMIN_TOKEN: ADMIN_TOKEN,
    FLEETMQ_MASTER_KEY: 'ab'.repeat(32),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const messaging = new InMemoryConsoleMessaging();
  const app = await createConsoleApp({ config, dataSource, messaging: options.messaging ?? messaging, logger: pino({ level: 'silent' }), readinessChecks: options.readinessChecks });
  return {
    app,
    server: app.getHttpServer(),
    dataSource,
    messaging,
    config,
    schema,
    async close() {
      await app.close();
      if (dataSource.isInitialized) await dataSource.destroy();
      await dropSchema(schema);
    },
  };
}

export const bearer = { Authorization: `Bearer ${ADMIN_TOKEN}` };

export function basic(accessKeyId: string, secret: string): { Authorization: string } {
  return { Authorization: `Basic ${Buffer.from(`${accessKeyId}:${secret}`).toString('base64')}` };
}
