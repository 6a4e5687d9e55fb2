// Public surface of #messaging. Apps depend on the ports (UplinkSink, DownlinkSink, ...) and
// on createMessaging; kafkajs stays behind this line.
export { UPLINK_TOPIC, DOWNLINK_TOPIC, PRESENCE_TOPIC, CONTROL_TOPIC, DLQ_TOPIC, INTERNAL_TOPICS, gatewayDownlinkGroup, controlGroup } from './topics.js';
export { HEADERS } from './headers.js';
export type { HeaderName } from './headers.js';
export { CONTROL_COMMAND_TYPES } from './types.js';
export type {
  Qos,
  UplinkMessage,
  UplinkRecord,
  DownlinkMessage,
  DownlinkInput,
  PresenceEvent,
  PresenceEventType,
  ControlCommand,
  ControlCommandType,
  Done,
} from './types.js';
export { newMessageId } from './message-id.js';
export * from './codec/index.js';
export {
  FleetMqError,
  KafkaUnavailableError,
  MalformedRecordError,
  QueueFullError,
  RecordRejectedError,
  MessagingStoppedError,
  PresenceReadOnlyError,
  RetriesExhaustedError,
} from './errors.js';
export * from './retry/index.js';
export { PRODUCER_EVENTS } from './messaging.events.js';
export type { ProducerEvent } from './messaging.events.js';
export type {
  UplinkSink,
  UplinkCounters,
  DownlinkSink,
  DownlinkSource,
  DownlinkHandler,
  PresenceSink,
  ControlChannel,
  ControlHandler,
  Messaging,
  ConsumedRecord,
  ProducedRecord,
  TopicRecords,
  TopicPartitions,
  ConsumedBatch,
  GroupMember,
  GroupMemberEvents,
  GroupMemberOptions,
  PartitionOffset,
  TopicAdmin,
  KafkaClient,
} from './ports.js';
export { kafkaClient } from './kafka/kafka-client.js';
// The kafkajs client createKafka returns, handed through apps as an opaque value (adapted by kafkaClient).
export type { Kafka } from 'kafkajs';
export { createKafka, kafkaLogCreator, producerFactory, ensureTopics } from './kafka/kafka-factory.js';
export type { KafkaClientOptions } from './kafka/kafka-factory.js';
export type { ProducerLike, ProducerFactory } from './kafka/producer-like.js';
export { BatchingProducer } from './kafka/batching-producer.js';
export type { BatchingProducerOptions, ProducerCounters } from './kafka/batching-producer.js';
export { UplinkProducer, uplinkRequestsInFlight } from './kafka/uplink-producer.js';
export type { UplinkProducerOptions } from './kafka/uplink-producer.js';
export { ManagedProducer } from './kafka/managed-producer.js';
export { DownlinkPublisher } from './kafka/downlink-publisher.js';
export { DownlinkConsumer } from './kafka/downlink-consumer.js';
export type { DownlinkConsumerOptions, DownlinkConsumerCounters } from './kafka/downlink-consumer.js';
export { DlqPublisher } from './kafka/dlq-publisher.js';
export { GroupConsumer } from './kafka/group-consumer.js';
export type { GroupConsumerOptions } from './kafka/group-consumer.js';
export { KafkaControlChannel } from './kafka/control-channel.js';
export type { KafkaControlChannelOptions } from './kafka/control-channel.js';
export { PresencePublisher } from './kafka/presence-publisher.js';
export type { PresencePublisherOptions } from './kafka/presence-publisher.js';
export { KafkaMessaging } from './kafka/kafka-messaging.js';
export type { KafkaMessagingOptions } from './kafka/kafka-messaging.js';
export { InProcessBus } from './in-process/in-process-bus.js';
export { InProcessMessaging } from './in-process/in-process-messaging.js';
export { createMessaging } from './create-messaging.js';
// The gateway tier's presence directory and node-to-node P2P channel (FLEETMQ_SESSION_STORE=redis); ioredis stays behind this line.
export { RedisPresenceDirectory, OFFLINE_PERSISTENT, ABSENT } from './redis/presence-directory.js';
export type { ClientLocation, RedisPresenceDirectoryOptions } from './redis/presence-directory.js';
export { RedisNodeChannel } from './redis/node-channel.js';
export type { ForwardedP2PHandler } from './redis/node-channel.js';
export type { ForwardedP2P } from './redis/p2p-forward.codec.js';
export type { MessagingConfig } from './create-messaging.js';
