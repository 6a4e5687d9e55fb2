import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger, UplinkSettings } from '#config';
import type { UplinkWorkerData } from './uplink-worker.js';
import { WorkerUplinkSink, type UplinkWorkerLike } from './worker-uplink-sink.js';

export interface WorkerUplinkOptions extends UplinkWorkerData {
  logger: Logger;
  uplink: UplinkSettings;
}

/** The uplink with its producer in a worker thread (FLEETMQ_UPLINK_THREAD=worker). */
export function createWorkerUplink(options: WorkerUplinkOptions): WorkerUplinkSink {
  const { logger, ...data } = options;
  return new WorkerUplinkSink({
    spawn: () => new Worker(workerScript(), { workerData: data, name: 'fleetmq-uplink' }) as unknown as UplinkWorkerLike,
    logger,
    maxQueuedRecords: options.uplink.maxQueuedRecords,
    maxQueuedQos0: options.uplink.maxQueuedQos0,
  });
}

/**
 * The worker's compiled entry point: next to this file in dist/; when this file runs from its
 * TypeScript source (ts-jest), the worker runs the copy `npm run build` put in dist/ (a worker
 * thread loads plain JavaScript).
 */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./uplink-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = beside.replace(/\/libs\/messaging\/src\//, '/dist/libs/messaging/src/');
  if (existsSync(built)) return built;
  throw new Error(`uplink worker not found at ${beside} nor ${built}: run npm run build`);
}
