/** Kafka record header names (DESIGN.md "Kafka records"); values are UTF-8 strings. */
export const HEADERS = {
  instance: 'fleetmq-instance',
  client: 'fleetmq-client',
  topic: 'fleetmq-topic',
  qos: 'fleetmq-qos',
  retain: 'fleetmq-retain',
  msgId: 'fleetmq-msgid',
  ts: 'fleetmq-ts',
  node: 'fleetmq-node',
  target: 'fleetmq-target',
  dlqReason: 'fleetmq-dlq-reason',
  dlqSource: 'fleetmq-dlq-source',
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];
