// Kafka's own rule (kafka.common.internals.Topic): legal characters, at most 249, not '.' or '..'.
const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function isValidKafkaTopicName(name: string): boolean {
  return name !== '.' && name !== '..' && KAFKA_TOPIC.test(name);
}
