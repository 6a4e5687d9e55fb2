import type { Kafka } from 'kafkajs';
import type { GroupMember, GroupMemberEvents, GroupMemberOptions, KafkaClient, TopicAdmin } from '../ports.js';
import { FETCH_LIMITS } from './fetch-limits.js';
import type { ProducerFactory } from './producer-like.js';

/** The ports of a kafkajs client (ports.ts, "Consumer groups and topic administration"). */
export function kafkaClient(kafka: Kafka): KafkaClient {
  return {
    admin: (): TopicAdmin => kafka.admin(),
    groupMember: (options, events) => groupMember(kafka, options, events),
    producers: ({ maxInFlightRequests }): ProducerFactory => () =>
      kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: false,
        maxInFlightRequests: Math.max(1, maxInFlightRequests),
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 },
      }),
  };
}

function groupMember(kafka: Kafka, options: GroupMemberOptions, events: GroupMemberEvents): GroupMember {
  const consumer = kafka.consumer({ ...options, ...FETCH_LIMITS, allowAutoTopicCreation: false });
  consumer.on(consumer.events.GROUP_JOIN, (e) => events.joined(e.payload.memberAssignment));
  consumer.on(consumer.events.CRASH, (e) => events.crashed(e.payload.error, e.payload.restart));
  return {
    connect: () => consumer.connect(),
    subscribe: (topic, fromBeginning) => consumer.subscribe({ topics: [topic], fromBeginning }),
    run: (run) => consumer.run(run),
    pause: (partitions) => consumer.pause(partitions),
    resume: (partitions) => consumer.resume(partitions),
    seek: (position) => consumer.seek(position),
    disconnect: () => consumer.disconnect(),
  };
}
