import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import type { Logger } from '#config';
import { encodeProduceRequest, type ProduceRequestArgs } from './produce-request.js';

/**
 * Every change FleetMQ makes to kafkajs's internals, in one place (the only file that imports
 * kafkajs/src/...). There are four:
 * - uncompressed Produce requests v3..v7 are encoded by encodeProduceRequest
 *   (produce-request.ts), the same bytes at a fraction of the CPU and garbage
 *   (docs/BENCHMARKS.md, "uplink producer");
 * - an idle broker connection arms no timer (quietIdleRequestQueues below): kafkajs's own
 *   queue re-arms a 1 ms check forever on every connection that has answered a request;
 * - a send's messages are grouped by partition in linear time (lineariseGrouping below), not in
 *   kafkajs's quadratic time;
 * - a connection looks for timed-out requests once a second, not ten times
 *   (slowRequestTimeoutSweeps below).
 *
 * Process-wide, not per client: kafkajs resolves the request builder from its module-level
 * request table (protocol/requests/index.js), and every connection's queue from one class,
 * shared by every kafkajs client in the process, and offers no per-client hook for either. The
 * processes that load this file run only FleetMQ's own kafkajs clients, and the self-test
 * below shows the bytes are kafkajs's own.
 *
 * Guarded: the patches are used only when the installed kafkajs is exactly the version they were
 * written for and its internals have the expected shape; the encoder also only once a known
 * request encodes to the same bytes as kafkajs's own encoder. Otherwise kafkajs keeps its own
 * code and a warning says so. Until the (asynchronous, once) self-test has passed, requests use
 * kafkajs's own encoder; the queue change applies as soon as the check is called.
 */

/** The kafkajs version the patch was written for and checked against (package-lock.json). */
export const KAFKAJS_VERSION = '2.2.4';

/** kafkajs's compression code for "none" (CompressionTypes.None). */
const NO_COMPRESSION = 0;
/** Produce versions whose request body encodeProduceRequest writes (kafkajs implements up to 7). */
const MIN_VERSION = 3;
const MAX_VERSION = 7;
const WRAPPED = Symbol.for('fleetmq.kafkajs-produce-encoder');
const QUEUE_WRAPPED = Symbol.for('fleetmq.kafkajs-idle-request-queue');
const SWEEP_WRAPPED = Symbol.for('fleetmq.kafkajs-request-timeout-sweep');
/** How often a connection looks for requests past their timeout (kafkajs: 100 ms). */
export const REQUEST_TIMEOUT_SWEEP_MS = 1_000;
const GROUPING_LOST = "every send's messages are grouped by partition in kafkajs's quadratic time (correct, but CPU that grows with the batch)";
const LOST = "produce requests use kafkajs's own encoder (correct, but several times the CPU per record)";
const QUEUE_LOST = "every kafkajs broker connection runs kafkajs's 1 ms request-queue check while idle (correct, but CPU for nothing)";
const SWEEP_LOST = "every kafkajs broker connection looks for timed-out requests ten times a second (correct, but wake-ups for nothing)";

export type ProduceEncoder = (args: ProduceRequestArgs) => Buffer;

/** The outcome of one check, also what the warning logs. */
export interface EnginePatchState {
  engine: 'kafkajs';
  expectedVersion: string;
  foundVersion: string;
  /** Produce requests use FleetMQ's encoder. */
  patched: boolean;
  /** Why the encoder is not used (fallback only). */
  reason?: string;
  /** Idle broker connections arm no timer (quietIdleRequestQueues). */
  idleQueuesQuiet: boolean;
  /** Connections look for timed-out requests every REQUEST_TIMEOUT_SWEEP_MS (slowRequestTimeoutSweeps). */
  slowTimeoutSweeps: boolean;
  /** Sends group their messages by partition in linear time (lineariseGrouping). */
  linearGrouping: boolean;
}

export interface KafkajsAdapterOptions {
  logger: Logger;
  /** For tests: the installed version as read from kafkajs's package.json otherwise. */
  foundVersion?: string;
  /** For tests: the encoder to check and install (encodeProduceRequest otherwise). */
  encoder?: ProduceEncoder;
}

/** What kafkajs's request framing reads from an encoded body (its Encoder's `buf`/`buffer`/`size()`). */
class EncodedBody {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
  size(): number {
    return this.buf.length;
  }
}

// Named `require` so the boundary check (tools/boundaries) sees which package this file loads.
const require = createRequire(import.meta.url);
/** The installed kafkajs, read once: the grouping below needs it before kafkajs loads, the check later. */
const installedVersion = installedKafkajsVersion();
/** Whether kafkajs's producer got the linear grouping: decided once, when this file is evaluated. */
const linearGrouping = lineariseGrouping();

/** The encoder kafkajs's Produce builder uses now; null: kafkajs's own. */
let activeEncoder: ProduceEncoder | null = null;
/** Whether the request-queue change is in effect (its wrapper stays installed either way). */
let quietQueues = false;
/** Whether the request-timeout sweep change is in effect (its wrapper stays installed either way). */
let slowSweeps = false;
let processWide: Promise<EnginePatchState> | undefined;

/**
 * Checks and applies the patch once per process (createKafka calls it); later calls return the
 * first outcome.
 */
export function patchKafkajs(logger: Logger): Promise<EnginePatchState> {
  processWide ??= checkAndPatchKafkajs({ logger });
  return processWide;
}

/** Checks version, shape and bytes, then uses FleetMQ's encoder or falls back (with a warning). */
export async function checkAndPatchKafkajs(options: KafkajsAdapterOptions): Promise<EnginePatchState> {
  const encoder = options.encoder ?? encodeProduceRequest;
  const foundVersion = options.foundVersion ?? installedVersion;
  const state: EnginePatchState = { engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion, patched: false, idleQueuesQuiet: false, slowTimeoutSweeps: false, linearGrouping };
  activeEncoder = null;
  // Synchronous: in effect before the caller creates its first client.
  quietQueues = foundVersion === KAFKAJS_VERSION && quietIdleRequestQueues();
  state.idleQueuesQuiet = quietQueues;
  slowSweeps = foundVersion === KAFKAJS_VERSION && slowRequestTimeoutSweeps();
  state.slowTimeoutSweeps = slowSweeps;
  if (!quietQueues) {
    options.logger.warn({ ...state, lost: QUEUE_LOST }, `kafkajs ${foundVersion} (patch written for ${KAFKAJS_VERSION}): request-queue patch not applied`);
  }
  if (!slowSweeps) {
    options.logger.warn({ ...state, lost: SWEEP_LOST }, `kafkajs ${foundVersion} (patch written for ${KAFKAJS_VERSION}): request-timeout sweep patch not applied`);
  }
  if (foundVersion !== KAFKAJS_VERSION) state.reason = 'version differs';
  else if (!wrapProduceProtocol()) state.reason = "kafkajs's Produce request table is not shaped as expected";
  else {
    const mismatch = await selfTest(encoder);
    if (mismatch !== null) state.reason = mismatch;
    else {
      activeEncoder = encoder;
      state.patched = true;
    }
  }
  if (!state.patched) {
    options.logger.warn({ ...state, lost: LOST }, `kafkajs ${foundVersion} (patch written for ${KAFKAJS_VERSION}): engine patch not applied`);
  }
  if (!linearGrouping) {
    options.logger.warn({ ...state, lost: GROUPING_LOST }, `kafkajs ${foundVersion} (patch written for ${KAFKAJS_VERSION}): grouping patch not applied`);
  }
  return state;
}

function installedKafkajsVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Wraps kafkajs's lookup of the Produce request builder (done for every request): the builder's
 * request is given FleetMQ's encoder while one is active and the request is uncompressed v3..v7.
 * Idempotent; false (nothing changed) when the internals are not shaped as expected.
 */
function wrapProduceProtocol(): boolean {
  const protocol = produce as typeof produce & { [WRAPPED]?: true };
  if (protocol[WRAPPED]) return true;
  if (typeof protocol?.protocol !== 'function' || !Array.isArray(protocol.versions)) return false;
  const original = protocol.protocol.bind(protocol);
  protocol.protocol = ({ version }) => {
    const build = original({ version });
    if (version < MIN_VERSION || version > MAX_VERSION) return build;
    return (args) => {
      const built = build(args);
      const encoder = activeEncoder;
      if (encoder !== null && (args.compression ?? NO_COMPRESSION) === NO_COMPRESSION) {
        built.request.encode = async () => new EncodedBody(encoder(args as unknown as ProduceRequestArgs));
      }
      return built;
    };
  };
  protocol[WRAPPED] = true;
  return true;
}

/** A message as kafkajs's grouping and partitioner see it. */
type GroupedMessage = Record<string, unknown>;
interface GroupingArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: GroupedMessage[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: GroupedMessage }) => number;
}

/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` for each
 * message (producer/groupMessagesPerPartition.js): quadratic in the messages of one partition,
 * and an uplink batch is up to maxBatchRecords messages of one partition (its lanes are the
 * partitions). In fan-in CPU profiles it was 9 % of the uplink worker with QoS 1 and 27 % with
 * QoS 0's larger batches. The same grouping in linear time: the same partitioner calls in the
 * same order, the same object of arrays in message order.
 */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupingArgs): Record<number, GroupedMessage[]> {
  const result: Record<number, GroupedMessage[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current === undefined) result[partition] = [message];
    else current.push(message);
  }
  return result;
}

/**
 * Puts groupMessagesPerPartition in Node's module cache as kafkajs's own, for the version it was
 * written for. kafkajs's sendMessages.js keeps the function it required when it was loaded, so
 * this must come first: it runs when this file is evaluated, and kafka-factory.ts imports this
 * file before kafkajs. True when kafkajs's producer uses (or will use) it.
 */
function lineariseGrouping(): boolean {
  if (installedVersion !== KAFKAJS_VERSION) return false;
  let path: string;
  try {
    path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  } catch {
    return false;
  }
  const cached = require.cache[path];
  if (cached !== undefined) return cached.exports === groupMessagesPerPartition;
  require.cache[path] = { id: path, filename: path, loaded: true, exports: groupMessagesPerPartition, children: [], paths: [] } as unknown as NodeJS.Module;
  return true;
}

/** The RequestQueue internals the wrapper reads. */
interface QueueInternals {
  pending: unknown[];
  throttledUntil: number;
}

/**
 * kafkajs 2.2.4's RequestQueue ends every check of its pending requests by scheduling the next
 * one, also when nothing is pending and no client-side throttle is active: the delay is then
 * `throttledUntil (-1) - Date.now()`, negative, which Node runs as 1 ms. Every broker connection
 * that has answered one request (each consumer's, producer's and admin's) therefore wakes its
 * thread a thousand times a second, with a timer's garbage each time, for as long as it is open
 * (kafkajs#1556, #1704; the fix proposed there). That loop is most of an idle gateway's CPU.
 *
 * Wrapped: with nothing pending and no throttle in effect, nothing is scheduled. Nothing is lost:
 * a request is pending only after push() found it could not be sent, and push() schedules the
 * check then (throttle end, or 10 ms while in-flight requests are at their limit, and again after
 * each check while any is still pending); a fulfilled or timed-out request runs the check
 * itself. Idempotent; false (nothing changed) when the internals are not shaped as expected.
 */
function quietIdleRequestQueues(): boolean {
  const proto = requestQueueToWrap(QUEUE_WRAPPED, ['scheduleCheckPendingRequests', 'checkPendingRequests']);
  if (proto === 'wrapped' || proto === null) return proto === 'wrapped';
  const original = proto.scheduleCheckPendingRequests as (this: QueueInternals) => void;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: QueueInternals): void {
    if (quietQueues && this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
  proto[QUEUE_WRAPPED] = true;
  return true;
}

/** The RequestQueue internals the request-timeout sweep reads and writes. */
interface SweepInternals {
  enforceRequestTimeout: boolean;
  requestTimeout: number;
  requestTimeoutIntervalId: NodeJS.Timeout | undefined;
  inflight: Map<number, { sentAt: number | null; requestTimeout: number; timeoutRequest(): void }>;
  isConnected(): boolean;
  destroy(): void;
}

/**
 * kafkajs 2.2.4 gives every connected broker connection an interval of min(requestTimeout,
 * 100 ms) that looks for requests past their timeout. A gateway holds about ten such
 * connections (each consumer's coordinator and broker, the producers', the admin's) across its
 * two threads: a hundred wake-ups a second while nothing happens, for a timeout of 15 s.
 *
 * Replaced by the same sweep every min(requestTimeout, REQUEST_TIMEOUT_SWEEP_MS): a request
 * still fails with kafkajs's own timeout error, at most a second later than its timeout, and a
 * connection found disconnected still stops its sweep. Idempotent; false (nothing changed) when
 * the internals are not shaped as expected.
 */
function slowRequestTimeoutSweeps(): boolean {
  const proto = requestQueueToWrap(SWEEP_WRAPPED, ['scheduleRequestTimeoutCheck', 'destroy']);
  if (proto === 'wrapped' || proto === null) return proto === 'wrapped';
  const original = proto.scheduleRequestTimeoutCheck as (this: SweepInternals) => void;
  proto.scheduleRequestTimeoutCheck = function scheduleRequestTimeoutCheck(this: SweepInternals): void {
    if (!slowSweeps) return original.call(this);
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this.requestTimeoutIntervalId = setInterval(() => {
      const now = Date.now();
      for (const request of this.inflight.values()) {
        if (request.sentAt !== null && now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      }
      if (!this.isConnected()) this.destroy();
    }, Math.min(this.requestTimeout, REQUEST_TIMEOUT_SWEEP_MS));
  };
  proto[SWEEP_WRAPPED] = true;
  return true;
}

/**
 * RequestQueue's prototype when `methods` are there to wrap and a fresh queue is shaped as
 * expected; 'wrapped' when `marker` says it was done before; null when it cannot be done.
 */
function requestQueueToWrap(marker: symbol, methods: string[]): Record<PropertyKey, unknown> | 'wrapped' | null {
  const proto = (RequestQueue as unknown as { prototype?: Record<PropertyKey, unknown> } | undefined)?.prototype;
  if (proto === undefined || methods.some((name) => typeof proto[name] !== 'function')) return null;
  if (proto[marker]) return 'wrapped';
  return queueShapeAsExpected() ? proto : null;
}

/** A fresh queue has the fields the wrappers read, with their documented initial values. */
function queueShapeAsExpected(): boolean {
  try {
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1_000, enforceRequestTimeout: false, clientId: 'fleetmq-check', broker: 'check:0', logger: silent });
    return Array.isArray(queue.pending) && queue.throttledUntil === -1 && queue.throttleCheckTimeoutId === null && queue.inflight instanceof Map
      && queue.requestTimeout === 1_000 && queue.enforceRequestTimeout === false && typeof queue.isConnected === 'function';
  } catch {
    return false;
  }
}

/** A request with what the uplink sends (key, value, headers, explicit timestamps): the bytes must be kafkajs's. */
const KNOWN_REQUEST = {
  acks: -1,
  timeout: 5_000,
  compression: NO_COMPRESSION,
  topicData: [
    {
      topic: 'fleetmq.uplink',
      partitions: [
        {
          partition: 1,
          messages: [
            { key: Buffer.from('fmq-a/GID_x@@@d1'), value: Buffer.from('{"t":21.5}'), timestamp: '1764000000000', headers: { 'fleetmq-qos': Buffer.from('1'), 'fleetmq-node': 'gw-1' } },
            { key: null, value: Buffer.alloc(200, 7), timestamp: '1764000000042', headers: {} },
          ],
        },
        { partition: 3, messages: [{ key: 'k', value: 'v', timestamp: '1764000000001' }] },
      ],
    },
  ],
};

/** null when `encoder` writes kafkajs's bytes for the known request; otherwise what went wrong. */
async function selfTest(encoder: ProduceEncoder): Promise<string | null> {
  try {
    const expected = ((await kafkajsProduceV3(KNOWN_REQUEST).encode()) as { buffer: Buffer }).buffer;
    const actual = encoder(KNOWN_REQUEST as unknown as ProduceRequestArgs);
    return Buffer.isBuffer(actual) && actual.equals(expected) ? null : "self-test: the encoded request differs from kafkajs's bytes";
  } catch (err) {
    return `self-test failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
