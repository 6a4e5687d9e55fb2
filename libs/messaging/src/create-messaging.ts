import type { FleetMqConfig, Logger } from '#config';
import { InProcessBus } from './in-process/in-process-bus.js';
import { InProcessMessaging } from './in-process/in-process-messaging.js';
import { KafkaMessaging } from './kafka/kafka-messaging.js';
import type { Messaging } from './ports.js';

export type MessagingConfig = Pick<
  FleetMqConfig,
  'role' | 'nodeId' | 'kafkaBrokers' | 'kafkaPartitions' | 'kafkaReplicationFactor' | 'kafkaCreateTopics' | 'uplink'
>;

/**
 * Kafka when brokers are configured, else the in-process bus, announced loudly: with it an
 * acknowledged message is not durable and rules deliver nowhere outside this process.
 */
export function createMessaging(config: MessagingConfig, logger: Logger, options: { bus?: InProcessBus } = {}): Messaging {
  if (config.kafkaBrokers !== undefined && config.kafkaBrokers.length > 0) {
    return new KafkaMessaging({
      brokers: config.kafkaBrokers,
      role: config.role,
      nodeId: config.nodeId,
      partitions: config.kafkaPartitions,
      replicationFactor: config.kafkaReplicationFactor,
      createTopics: config.kafkaCreateTopics,
      uplink: config.uplink,
      logger,
    });
  }
  logger.warn(
    'NO KAFKA CONFIGURED (KAFKA_BROKERS unset): using the in-process bus. Device messages are acknowledged ' +
      'without being stored anywhere and reach no backend. Set KAFKA_BROKERS or run tools/kafka/start.sh for real use.',
  );
  return new InProcessMessaging(logger, config.nodeId, options.bus);
}
