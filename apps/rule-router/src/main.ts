// Standalone rule router: `npm run start:rule-router` (DATABASE_URL and KAFKA_BROKERS required).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, loadConfigOrExit } from '#config';
import { openDataSource, TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository } from '#domain/persistence';
import { createMessaging, KafkaMessaging } from '#messaging';
import { startOpsServer } from './http-server.js';
import { RuleRouter } from './rule-router.js';
import { routerOptionsFrom } from './rule-router.config.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('rule-router');
  const options = routerOptionsFrom(config);
  const logger = createLogger(config.logLevel, { role: 'rule-router' });
  if (config.kafkaBrokers === undefined || config.kafkaBrokers.length === 0) {
    logger.fatal('KAFKA_BROKERS is required: the rule router has nothing to route without Kafka');
    process.exit(2);
  }
  // The control group is per process (`fleetmq-control-rule-router-<routerId>`): every router gets every command.
  const messaging = createMessaging({ ...config, nodeId: options.routerId }, logger);
  if (!(messaging instanceof KafkaMessaging)) throw new Error('rule router needs Kafka messaging');
  await messaging.start();
  const dataSource = await openDataSource(config.databaseUrl!, { applicationName: 'fleetmq-rule-router', poolSize: 4 });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const router = new RuleRouter({
    kafka: messaging.kafka,
    ruleSource: new TypeOrmRuleSourceRepository(dataSource),
    ruleCounters: new TypeOrmRuleCounterRepository(dataSource),
    control: messaging.control(),
    logger,
    metricsRegistry: registry,
    options,
  });
  await router.start();
  const ops = await startOpsServer({
    host: config.bindHost,
    port: config.httpPort,
    registry,
    healthy: () => router.healthy,
    readiness: [
      { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) },
      { name: 'kafka', check: () => messaging.ping() },
      { name: 'router', check: async () => { if (!router.healthy) throw new Error('consumers not running'); } },
    ],
  });
  logger.info({ httpPort: ops.port }, 'rule router listening for /health and /metrics');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    ops.close();
    try {
      await router.stop();
      await messaging.stop();
      await dataSource.destroy();
    } catch (err) {
      logger.error({ err }, 'unclean stop');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`rule router failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
