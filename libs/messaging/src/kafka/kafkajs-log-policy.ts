/**
 * Which kafkajs log lines FleetMQ shows, and at which level. Policy as data: kafkajs logs the
 * answers a fresh broker gives while it elects leaders and loads group coordinators at error
 * level, and retries them itself; during a client's first minute they are start-up transients
 * (debug), after that a warning. Lines a user cannot act on are not shown at all.
 */
export type KafkaLogLevel = 'error' | 'warn' | 'debug' | 'silent';

/** kafkajs protocol errors (type and message as in kafkajs/src/protocol/error.js) a broker gives while it settles. */
export const SETTLING_ERRORS: readonly { type: string; message: string }[] = [
  { type: 'LEADER_NOT_AVAILABLE', message: 'There is no leader for this topic-partition as we are in the middle of a leadership election' },
  { type: 'NOT_LEADER_FOR_PARTITION', message: 'This server is not the leader for that topic-partition' },
  { type: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'This server does not host this topic-partition' },
  { type: 'GROUP_LOAD_IN_PROGRESS', message: "The coordinator is loading and hence can't process requests for this group" },
  { type: 'GROUP_COORDINATOR_NOT_AVAILABLE', message: 'The group coordinator is not available' },
  { type: 'NOT_COORDINATOR_FOR_GROUP', message: 'This is not the correct coordinator for this group' },
  { type: 'REBALANCE_IN_PROGRESS', message: 'The group is rebalancing, so a rejoin is needed' },
];

/** kafkajs's own errors with the same meaning (no protocol type): its coordinator lookup giving up for now. */
const SETTLING_TEXTS = ['Failed to find group coordinator', ...SETTLING_ERRORS.map((error) => error.message)];

/** The KafkaJS 2.x notice about its default partitioner: FleetMQ sets its partitioner, and users cannot act on it. */
const PARTITIONER_NOTICE = 'KafkaJS v2.0.0 switched default partitioner';

/** How long after a client is made its settling errors count as start-up transients. */
export const STARTUP_WINDOW_MS = 60_000;

export function kafkaLogLevel(level: 'error' | 'warn', message: string, error: unknown, msSinceStart: number): KafkaLogLevel {
  if (message.startsWith(PARTITIONER_NOTICE)) return 'silent';
  const text = typeof error === 'string' ? `${message} ${error}` : message;
  if (SETTLING_TEXTS.some((settling) => text.includes(settling))) return msSinceStart < STARTUP_WINDOW_MS ? 'debug' : 'warn';
  return level;
}
