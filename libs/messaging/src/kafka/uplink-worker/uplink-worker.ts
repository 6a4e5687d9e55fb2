import { parentPort, workerData } from 'node:worker_threads';
import type { UplinkSettings } from '#config';
import { createKafka, producerFactory } from '../kafka-factory.js';
import { UplinkProducer, uplinkRequestsInFlight } from '../uplink-producer.js';
import type { FromUplinkWorker } from './messages.js';
import { portLogger } from './port-logger.js';
import { UplinkWorkerHost, type HostPort } from './uplink-worker-host.js';

/** What the gateway's thread gives the worker (workerData): the same settings as the main-thread producer. */
export interface UplinkWorkerData {
  brokers: string[];
  clientId: string;
  nodeId: string;
  partitions: number;
  uplink: UplinkSettings;
  /** `fleetmq.uplink` unless set (benchmarks write to a topic of their own). */
  topic?: string;
}

/**
 * Entry point of the uplink worker thread (started by worker-uplink-factory.ts): its own kafkajs
 * client (with FleetMQ's produce encoder, patched in this thread's copy of kafkajs) and an
 * UplinkProducer exactly as the gateway's thread would build it, one lane per partition.
 */
function main(): void {
  const port = parentPort as unknown as HostPort | null;
  if (port === null) throw new Error('uplink-worker.ts runs only as a worker thread');
  const data = workerData as UplinkWorkerData;
  const logger = portLogger((message: FromUplinkWorker) => port.postMessage(message), { component: 'messaging' });
  const kafka = createKafka({ brokers: data.brokers, clientId: data.clientId, logger });
  const producer = new UplinkProducer({
    createProducer: producerFactory(kafka, { maxInFlightRequests: uplinkRequestsInFlight(data.partitions, data.uplink) }),
    logger,
    nodeId: data.nodeId,
    topic: data.topic,
    lanes: data.partitions,
    ...data.uplink,
  });
  void new UplinkWorkerHost(port, producer).start();
}

main();
