import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import type { Logger } from '#config';
import { encodeProduceRequest, type ProduceRequestArgs } from './produce-request.js';

/**
 * Every change FleetMQ makes to kafkajs's internals, in one place (the only file that imports
 * kafkajs/src/...). Today there is one: uncompressed Produce requests v3..v7 are encoded by
 * encodeProduceRequest (produce-request.ts), the same bytes at a fraction of the CPU and
 * garbage (docs/BENCHMARKS.md, "uplink producer").
 *
 * Process-wide, not per client: kafkajs resolves the request builder from its module-level
 * request table (protocol/requests/index.js), shared by every kafkajs client in the process,
 * and offers no per-client hook for it. The processes that load this file run only FleetMQ's
 * own kafkajs clients, and the self-test below shows the bytes are kafkajs's own.
 *
 * Guarded: the patch is used only when the installed kafkajs is exactly the version it was
 * written for, its internals have the expected shape, and a known request encodes to the same
 * bytes as kafkajs's own encoder. Otherwise kafkajs keeps its encoder and a warning says so.
 * Until the (asynchronous, once) self-test has passed, requests use kafkajs's own encoder.
 */

/** The kafkajs version the patch was written for and checked against (package-lock.json). */
export const KAFKAJS_VERSION = '2.2.4';

/** kafkajs's compression code for "none" (CompressionTypes.None). */
const NO_COMPRESSION = 0;
/** Produce versions whose request body encodeProduceRequest writes (kafkajs implements up to 7). */
const MIN_VERSION = 3;
const MAX_VERSION = 7;
const WRAPPED = Symbol.for('fleetmq.kafkajs-produce-encoder');
const LOST = "produce requests use kafkajs's own encoder (correct, but several times the CPU per record)";

export type ProduceEncoder = (args: ProduceRequestArgs) => Buffer;

/** The outcome of one check, also what the warning logs. */
export interface EnginePatchState {
  engine: 'kafkajs';
  expectedVersion: string;
  foundVersion: string;
  patched: boolean;
  /** Why the patch is not used (fallback only). */
  reason?: string;
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

/** The encoder kafkajs's Produce builder uses now; null: kafkajs's own. */
let activeEncoder: ProduceEncoder | null = null;
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
  const foundVersion = options.foundVersion ?? installedKafkajsVersion();
  const state: EnginePatchState = { engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion, patched: false };
  activeEncoder = null;
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
  return state;
}

function installedKafkajsVersion(): string {
  try {
    const require = createRequire(import.meta.url);
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
