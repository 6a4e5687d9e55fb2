import { isUtf8 } from 'node:buffer';
import type { KeyStrategy, OutflowTarget, PayloadEncoding } from './rule.types.js';

/** What the router knows of one uplink record (decoded from its key and headers). */
export interface UplinkMessage {
  instanceId: string;
  clientId: string;
  topic: string;
  qos: number;
  retain: boolean;
  msgId: string;
  /** ms since epoch, at the gateway. */
  ts: number;
  payload: Buffer;
}

/** The `format: 'json'` value of a routed record. */
export interface OutflowEnvelope {
  instanceId: string;
  clientId: string;
  topic: string;
  qos: number;
  /** The payload as `encoding` says; utf8 falls back to base64 for bytes that are not UTF-8. */
  payload: string;
  encoding: PayloadEncoding;
  ts: number;
  msgId: string;
}

/** Key of the routed record: the client ID (default) keeps each device's records in one partition. */
export function outflowKey(strategy: KeyStrategy, message: Pick<UplinkMessage, 'clientId' | 'topic'>): string | null {
  if (strategy === 'clientId') return message.clientId;
  if (strategy === 'topic') return message.topic;
  return null;
}

export function buildOutflowEnvelope(message: UplinkMessage, encoding: PayloadEncoding): OutflowEnvelope {
  // A lossy utf8 decode would corrupt binary payloads; say which encoding was really used.
  const utf8 = encoding === 'utf8' && isUtf8(message.payload);
  return {
    instanceId: message.instanceId,
    clientId: message.clientId,
    topic: message.topic,
    qos: message.qos,
    payload: message.payload.toString(utf8 ? 'utf8' : 'base64'),
    encoding: utf8 ? 'utf8' : 'base64',
    ts: message.ts,
    msgId: message.msgId,
  };
}

/** The value of the routed record: the payload unchanged (raw) or the JSON envelope. */
export function outflowValue(target: Pick<OutflowTarget, 'format' | 'payloadEncoding'>, message: UplinkMessage): Buffer {
  if (target.format === 'raw') return message.payload;
  return Buffer.from(JSON.stringify(buildOutflowEnvelope(message, target.payloadEncoding)), 'utf8');
}
