import { HEADERS } from '../headers.js';
import { newMessageId } from '../message-id.js';
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
