import { downlinkTarget } from '#domain';
import { HEADERS } from '../headers.js';
import { newMessageId } from '../message-id.js';
import type { DownlinkInput, DownlinkMessage } from '../types.js';
import { parseQos, parseRetain, QOS_TEXT, retainText, topicProblem } from './fields.js';
import { fail, headerText, ok, type IncomingRecord, type OutgoingRecord, type ParseResult } from './record.js';

/** Keyed per target so messages to one device (P2P) or one topic (broadcast) keep their order. */
export function downlinkKey(msg: Pick<DownlinkMessage, 'topic' | 'targetClientId'>): string {
  return msg.targetClientId ?? msg.topic;
}

export function buildDownlinkRecord(msg: DownlinkInput, nextId: () => string = newMessageId): OutgoingRecord {
  const headers: OutgoingRecord['headers'] = {
    [HEADERS.instance]: msg.instanceId,
    [HEADERS.topic]: msg.topic,
    [HEADERS.qos]: QOS_TEXT[msg.qos] ?? String(msg.qos),
    [HEADERS.retain]: retainText(msg.retain),
    [HEADERS.msgId]: msg.msgId ?? nextId(),
  };
  if (msg.targetClientId !== undefined) headers[HEADERS.target] = msg.targetClientId;
  return { key: downlinkKey(msg), value: msg.payload, headers };
}

/**
 * Reads a downlink record, which backends may produce by hand: instance and topic are required,
 * qos defaults to 0, retain to false, and a missing msgid is generated. P2P is a property of the
 * topic: `<parent>/p2p/<clientId>` goes to that client alone (never retained) with or without a
 * target header; a target header that names another client or comes with any other topic, and
 * any other topic under `<parent>/p2p/`, refuse the record (to the DLQ) rather than broadcast it.
 */
export function parseDownlinkRecord(record: IncomingRecord, nextId: () => string = newMessageId): ParseResult<DownlinkMessage> {
  const h = record.headers;
  const instanceId = headerText(h, HEADERS.instance);
  if (!instanceId) return fail(`missing header ${HEADERS.instance}`);
  const topic = headerText(h, HEADERS.topic);
  if (topic === undefined) return fail(`missing header ${HEADERS.topic}`);
  const problem = topicProblem(topic);
  if (problem !== null) return fail(`bad header ${HEADERS.topic}: ${problem}`);
  const qos = parseQos(headerText(h, HEADERS.qos), 0);
  if (qos === undefined) return fail(`bad header ${HEADERS.qos}: expected 0, 1 or 2`);
  const retain = parseRetain(headerText(h, HEADERS.retain), false);
  if (retain === undefined) return fail(`bad header ${HEADERS.retain}: expected true or false`);
  const targetHeader = headerText(h, HEADERS.target);
  if (targetHeader === '') return fail(`bad header ${HEADERS.target}: empty`);
  // Any client ID: a target that is not one of the instance's clients is simply not connected.
  const target = downlinkTarget(topic, targetHeader, true);
  if (!target.ok) return fail(`bad header ${target.field === 'target' ? HEADERS.target : HEADERS.topic}: ${target.detail}`);
  const msg: DownlinkMessage = {
    instanceId,
    topic,
    qos,
    retain: retain && target.targetClientId === undefined,
    payload: record.value ?? Buffer.alloc(0),
    msgId: headerText(h, HEADERS.msgId) || nextId(),
  };
  if (target.targetClientId !== undefined) msg.targetClientId = target.targetClientId;
  return ok(msg);
}
