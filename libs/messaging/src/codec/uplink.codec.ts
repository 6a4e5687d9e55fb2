import { HEADERS } from '../headers.js';
import { createMessageIdFactory, newMessageId } from '../message-id.js';
import { murmur2 } from '../partition.js';
import type { UplinkMessage, UplinkRecord } from '../types.js';
import { parseQos, parseRetain, parseTimestamp, QOS_TEXT, retainText } from './fields.js';
import { fail, headerText, keyText, ok, type IncomingRecord, type OutgoingRecord, type ParseResult } from './record.js';

/** One key per client keeps a client's records in one partition, hence in order. */
export function uplinkKey(instanceId: string, clientId: string): string {
  return `${instanceId}/${clientId}`;
}

/**
 * The `fleetmq.uplink` record of a device PUBLISH: the payload bytes as they came, metadata in
 * headers. `msgId`/`ts` are taken from the message when set, else generated here.
 */
export function buildUplinkRecord(
  msg: UplinkMessage,
  nodeId: string,
  now: () => number = Date.now,
  nextId: () => string = newMessageId,
): OutgoingRecord {
  return {
    key: uplinkKey(msg.instanceId, msg.clientId),
    value: msg.payload,
    headers: {
      [HEADERS.instance]: msg.instanceId,
      [HEADERS.client]: msg.clientId,
      [HEADERS.topic]: msg.topic,
      [HEADERS.qos]: QOS_TEXT[msg.qos] ?? String(msg.qos),
      [HEADERS.retain]: retainText(msg.retain),
      [HEADERS.msgId]: msg.msgId ?? nextId(),
      [HEADERS.ts]: String(msg.ts ?? now()),
      [HEADERS.node]: nodeId,
    },
  };
}

/** What stays the same for every record of one client, encoded once. */
export interface UplinkOrigin {
  readonly key: Buffer;
  readonly instance: Buffer;
  readonly client: Buffer;
  /** murmur2 of the key (Kafka's default partitioner hash): `(hash & 0x7fffffff) % partitions`. */
  readonly hash: number;
}

const QOS_BYTES: readonly Buffer[] = QOS_TEXT.map((q) => Buffer.from(q));
const RETAIN_BYTES = { true: Buffer.from(retainText(true)), false: Buffer.from(retainText(false)) };

export interface UplinkRecordBuilderOptions {
  nodeId: string;
  now?: () => number;
  nextId?: () => string;
  /** Clients whose encoded origin is kept (two generations of this many at most). */
  maxCachedOrigins?: number;
}

/**
 * The uplink hot path's version of buildUplinkRecord: the same record, but the key and the
 * header values that do not change per message (instance, client, node, qos, retain) are
 * Buffers encoded once, and the timestamp text once per millisecond, so that the produce
 * encoder (kafka/produce-request.ts) copies bytes instead of measuring and encoding strings
 * for every record; the key's murmur2 is computed once per client too (`keyHash`: the lane and
 * the partition both come from it). Origins are cached in two
 * generations (the older one is dropped when the newer fills), which bounds memory however
 * many clients come and go.
 */
export class UplinkRecordBuilder {
  private readonly node: Buffer;
  private readonly now: () => number;
  private readonly nextId: () => string;
  private readonly maxCached: number;
  private current = new Map<string, Map<string, UplinkOrigin>>();
  private previous = new Map<string, Map<string, UplinkOrigin>>();
  private cached = 0;
  private lastMs = -1;
  private lastTs = Buffer.alloc(0);

  constructor(options: UplinkRecordBuilderOptions) {
    this.node = Buffer.from(options.nodeId);
    this.now = options.now ?? Date.now;
    this.nextId = options.nextId ?? createMessageIdFactory(this.now);
    this.maxCached = options.maxCachedOrigins ?? 50_000;
  }

  origin(instanceId: string, clientId: string): UplinkOrigin {
    const found = this.current.get(instanceId)?.get(clientId);
    if (found !== undefined) return found;
    const origin = this.previous.get(instanceId)?.get(clientId) ?? makeOrigin(instanceId, clientId);
    if (this.cached >= this.maxCached) {
      this.previous = this.current;
      this.current = new Map();
      this.cached = 0;
    }
    let clients = this.current.get(instanceId);
    if (clients === undefined) this.current.set(instanceId, (clients = new Map()));
    clients.set(clientId, origin);
    this.cached++;
    return origin;
  }

  build(msg: UplinkMessage, origin: UplinkOrigin = this.origin(msg.instanceId, msg.clientId)): OutgoingRecord {
    return {
      key: origin.key,
      keyHash: origin.hash,
      value: msg.payload,
      headers: {
        [HEADERS.instance]: origin.instance,
        [HEADERS.client]: origin.client,
        [HEADERS.topic]: msg.topic,
        [HEADERS.qos]: QOS_BYTES[msg.qos] ?? String(msg.qos),
        [HEADERS.retain]: msg.retain ? RETAIN_BYTES.true : RETAIN_BYTES.false,
        [HEADERS.msgId]: msg.msgId ?? this.nextId(),
        [HEADERS.ts]: msg.ts === undefined ? this.timestamp() : String(msg.ts),
        [HEADERS.node]: this.node,
      },
    };
  }

  private timestamp(): Buffer {
    const ms = this.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTs = Buffer.from(String(ms));
    }
    return this.lastTs;
  }
}

function makeOrigin(instanceId: string, clientId: string): UplinkOrigin {
  const key = Buffer.from(uplinkKey(instanceId, clientId));
  return { key, instance: Buffer.from(instanceId), client: Buffer.from(clientId), hash: murmur2(key) };
}

/** Reads an uplink record back (rule-router, tests); every header is required. */
export function parseUplinkRecord(record: IncomingRecord): ParseResult<UplinkRecord> {
  const h = record.headers;
  const instanceId = headerText(h, HEADERS.instance);
  const clientId = headerText(h, HEADERS.client);
  const topic = headerText(h, HEADERS.topic);
  const msgId = headerText(h, HEADERS.msgId);
  const nodeId = headerText(h, HEADERS.node);
  if (!instanceId) return fail(`missing header ${HEADERS.instance}`);
  if (clientId === undefined) return fail(`missing header ${HEADERS.client}`);
  if (!topic) return fail(`missing header ${HEADERS.topic}`);
  if (!msgId) return fail(`missing header ${HEADERS.msgId}`);
  if (nodeId === undefined) return fail(`missing header ${HEADERS.node}`);
  const qos = parseQos(headerText(h, HEADERS.qos), undefined);
  if (qos === undefined) return fail(`bad header ${HEADERS.qos}`);
  const retain = parseRetain(headerText(h, HEADERS.retain), undefined);
  if (retain === undefined) return fail(`bad header ${HEADERS.retain}`);
  const ts = parseTimestamp(headerText(h, HEADERS.ts));
  if (ts === undefined) return fail(`bad header ${HEADERS.ts}`);
  if (keyText(record.key) !== uplinkKey(instanceId, clientId)) return fail('key does not match instance and client headers');
  return ok({ instanceId, clientId, topic, qos, retain, payload: record.value ?? Buffer.alloc(0), ts, msgId, nodeId });
}
