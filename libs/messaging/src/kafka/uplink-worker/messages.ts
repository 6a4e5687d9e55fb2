import type { UplinkCounters } from '../../ports.js';

/**
 * What the gateway's thread and the uplink worker say to each other (postMessage, structured
 * clone; record chunks are transferred, not copied). Records are named by a sequence number
 * the gateway's thread gave them.
 */

/** Gateway's thread → worker. */
export type ToUplinkWorker = { t: 'records'; chunk: ArrayBuffer } | { t: 'stop'; timeoutMs: number };

/** Records that failed together, with the error's class named by its FleetMqError code. */
export interface FailedRecords {
  code: string;
  message: string;
  seqs: number[];
}

export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

/** Worker → gateway's thread. */
export type FromUplinkWorker =
  | { t: 'started' }
  /** Records Kafka acknowledged (`ok`: a Uint32Array's buffer) or that failed, since the last one; `qos0` of them were QoS 0. */
  | { t: 'settled'; ok: ArrayBuffer; failed: FailedRecords[]; qos0: number; counters: UplinkCounters }
  | { t: 'event'; name: 'unavailable' | 'recovered' }
  | { t: 'log'; level: LogLevelName; bindings: Record<string, unknown>; obj: Record<string, unknown>; msg: string }
  | { t: 'stopped' };
