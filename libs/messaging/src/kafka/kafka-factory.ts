// First: the adapter changes a kafkajs module that kafkajs's producer keeps from its own load on.
import { patchKafkajs } from './kafkajs-adapter.js';
import kafkajs from 'kafkajs';
import type { Kafka, LogEntry, logCreator } from 'kafkajs';
import type { TopicAdmin } from '../ports.js';
import type { Logger } from '#config';
import { kafkaLogLevel } from './kafkajs-log-policy.js';
import { fastDefaultPartitioner } from './partitioner.js';
import type { ProducerFactory } from './producer-like.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * kafkajs logs through pino, warnings and errors only: its info level is a line per
 * connection and rebalance, noise at fleet scale. kafkaLogLevel decides the rest: start-up
 * transients at debug, the partitioner notice not at all.
 */
export function kafkaLogCreator(logger: Logger, now: () => number = Date.now): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  const createdAt = now();
  return () => (entry: LogEntry) => {
    if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return;
    const { message, timestamp: _timestamp, ...extra } = entry.log;
    const level = kafkaLogLevel(entry.level === logLevel.ERROR ? 'error' : 'warn', String(message), extra.error, now() - createdAt);
    if (level !== 'silent') child[level]({ namespace: entry.namespace, ...extra }, String(message));
  };
}

/**
 * A kafkajs client with short client-level retries: FleetMQ's producers retry whole batches
 * themselves (kafkajs#628), so kafkajs should report failure soon instead of retrying for minutes.
 * Produce requests are encoded by FleetMQ's encoder (same bytes, a fraction of the CPU) once
 * kafkajs-adapter.ts has checked it; a failed check is logged there and kafkajs keeps its own.
 */
export function createKafka(options: KafkaClientOptions): Kafka {
  void patchKafkajs(options.logger);
  return new KafkaClient({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 15_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
  });
}

/**
 * Producers for the batching producers: no idempotence (experimental in kafkajs, #598), few
 * internal retries (FleetMQ retries the whole batch on a fresh producer). One request in flight
 * by default, so a batch never overtakes another; the uplink allows one per partition lane,
 * since it keeps at most one batch of each lane in flight itself.
 */
export function producerFactory(kafka: Kafka, options: { maxInFlightRequests?: number } = {}): ProducerFactory {
  return () =>
    kafka.producer({
      // Java-compatible murmur2, as kafkajs's DefaultPartitioner, only cheaper per record.
      createPartitioner: fastDefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: false,
      maxInFlightRequests: options.maxInFlightRequests ?? 1,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 },
    });
}

/** Creates the topics that do not exist yet; existing ones are left as they are. Returns the created names. */
export async function ensureTopics(admin: Pick<TopicAdmin, 'listTopics' | 'createTopics'>, names: readonly string[], partitions: number, replicationFactor: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((name) => !existing.has(name));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
    });
  } catch (error) {
    // Another process may have created them in between: fine if they all exist now.
    const now = new Set(await admin.listTopics());
    if (!missing.every((name) => now.has(name))) throw error;
  }
  return missing;
}
