// Standalone console process: `npm run start:console` (needs DATABASE_URL, FLEETMQ_ADMIN_TOKEN,
// FLEETMQ_MASTER_KEY; KAFKA_BROKERS for messages and control commands to reach other processes).
import 'reflect-metadata';
import { createLogger, loadConfigOrExit } from '#config';
import { openDataSource } from '#domain/persistence';
import { createMessaging } from '#messaging';
import { createConsoleApp } from './create-console-app.js';
import { startConsoleMessaging } from './messaging/console-messaging.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('console');
  const logger = createLogger(config.logLevel, { role: 'console', node: config.nodeId });
  // loadConfig('console') refuses to start without DATABASE_URL.
  const dataSource = await openDataSource(config.databaseUrl!, { applicationName: 'fleetmq-console' });
  const messaging = createMessaging(config, logger);
  await messaging.start();
  const app = await createConsoleApp({
    config,
    dataSource,
    messaging: await startConsoleMessaging(messaging),
    logger,
    readinessChecks: [{ name: 'kafka', check: () => messaging.ping() }],
    onShutdown: async () => {
      await messaging.stop();
      await dataSource.destroy();
    },
  });
  await app.listen(config.httpPort, config.bindHost);
  logger.info({ port: config.httpPort, host: config.bindHost, messaging: messaging.kind }, 'console listening (OpenAPI at /api/docs)');
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad configuration): plain stderr is the one sure channel.
  process.stderr.write(`fleetmq console failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
