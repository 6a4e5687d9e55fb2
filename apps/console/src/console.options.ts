import type { DependencyCheck, FleetMqConfig, Logger } from '#config';
import type { DataSource } from '#domain/persistence';
import type { ConsoleMessaging } from './messaging/console-messaging.js';

/** What the all-in-one entry, the standalone main.ts and the tests hand to the console. */
export interface ConsoleOptions {
  config: FleetMqConfig;
  /** An initialised data source (openDataSource); the console does not own it and never closes it. */
  dataSource: DataSource;
  messaging: ConsoleMessaging;
  /** Defaults to config.adminToken; one of the two is required. */
  adminToken?: string;
  /** 32 bytes; defaults to parseMasterKey(config.masterKey); one of the two is required. */
  masterKey?: Buffer;
  /** Defaults to a pino logger at config.logLevel. */
  logger?: Logger;
  /** What GET /health/ready checks besides the database (the process's Kafka, later Redis); none by default. */
  readinessChecks?: DependencyCheck[];
  /** Run once when the app closes (signal or app.close()), after the HTTP server stopped: release what the caller opened. */
  onShutdown?: () => Promise<void>;
}
