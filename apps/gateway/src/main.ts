import 'reflect-metadata';
// First, before anything loads aedes: mqtt-packet without its debug calls.
import './engine/mqtt-packet-debug.js';
import { collectDefaultMetrics } from 'prom-client';
import { SecretBox, parseMasterKey } from '#auth';
import { createLogger, loadConfigOrExit } from '#config';
import { TypeOrmCredentialLookupRepository, TypeOrmDatabaseHealth, createGatewayStateRepositories, openDataSource } from '#domain/persistence';
import { createMessaging } from '#messaging';
import { KafkaBridge } from './bridge/kafka-bridge.js';
import { createGateway } from './gateway.js';
import { startOpsServer } from './http/ops-server.js';

/** Readiness while the node drains: it takes no new clients. */
class NodeDrainingError extends Error {
  constructor() {
    super('node is draining (SIGTERM): not accepting new connections');
    this.name = 'NodeDrainingError';
  }
}

/** Standalone gateway process (`npm run start:gateway`): MQTT listeners, Kafka bridge, /health and /metrics. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('gateway');
  const logger = createLogger(config.logLevel, { role: 'gateway', node: config.nodeId });
  collectDefaultMetrics();

  const dataSource = await openDataSource(config.databaseUrl!, { applicationName: 'fleetmq-gateway' });
  const box = new SecretBox(parseMasterKey(config.masterKey!));
  const messaging = createMessaging(config, logger);
  await messaging.start();

  const gateway = createGateway({
    config,
    credentials: new TypeOrmCredentialLookupRepository(dataSource, (boxed) => box.decrypt(boxed)),
    logger,
  });
  const bridge = new KafkaBridge({ gateway, messaging, state: createGatewayStateRepositories(dataSource), config, logger });
  // The forwarder must be in place before the first PUBLISH can arrive.
  await bridge.start();
  await gateway.start();

  const db = new TypeOrmDatabaseHealth(dataSource);
  let stopping = false;
  const ops = await startOpsServer(config.httpPort, config.bindHost, async () => {
    await db.ping();
    return { node: config.nodeId, connections: gateway.registry.size, messaging: messaging.kind, ports: gateway.ports };
  }, [
    // First, so a load balancer stops sending new clients the moment a drain begins.
    {
      name: 'accepting',
      check: async () => {
        if (stopping) throw new NodeDrainingError();
      },
    },
    { name: 'database', check: () => db.ping() },
    { name: 'kafka', check: () => messaging.ping() },
    ...(config.sessionStore === 'redis' ? [{ name: 'redis', check: () => gateway.pingSessionStore() }] : []),
  ]);
  logger.info({ httpPort: ops.port }, 'gateway /health and /metrics listening');

  // SIGTERM drains over FLEETMQ_DRAIN_WINDOW_MS (readiness answers 503 throughout); SIGINT stops at once.
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const windowMs = signal === 'SIGTERM' ? config.drainWindowMs : 0;
    logger.info({ signal, drainWindowMs: windowMs }, 'shutting down');
    try {
      await gateway.drain(windowMs); // stop accepting, close clients over the window (wills go out through the forwarder)
      await bridge.stop(); // drain the uplink before Kafka goes away: every PUBACKed message is in Kafka
      await ops.close();
      await messaging.stop();
      await dataSource.destroy();
      logger.info({ signal }, 'gateway stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
