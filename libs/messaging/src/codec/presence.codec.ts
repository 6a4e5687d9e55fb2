import type { PresenceEvent } from '../types.js';
import { uplinkKey } from './uplink.codec.js';
import { isNonEmptyString, parseJsonObject } from './json.js';
import { fail, ok, type IncomingRecord, type OutgoingRecord, type ParseResult } from './record.js';

/** Keyed like uplink (`<instanceId>/<clientId>`), so one client's events stay in order. */
export function buildPresenceRecord(event: PresenceEvent): OutgoingRecord {
  const body: PresenceEvent = {
    instanceId: event.instanceId,
    clientId: event.clientId,
    event: event.event,
    reason: event.reason,
    node: event.node,
    remoteAddress: event.remoteAddress,
    ts: event.ts,
    epoch: event.epoch,
  };
  return { key: uplinkKey(event.instanceId, event.clientId), value: Buffer.from(JSON.stringify(body)), headers: {} };
}

export function parsePresenceRecord(record: IncomingRecord): ParseResult<PresenceEvent> {
  const o = parseJsonObject(record.value);
  if (typeof o === 'string') return fail(o);
  if (!isNonEmptyString(o.instanceId)) return fail('instanceId: expected a non-empty string');
  if (typeof o.clientId !== 'string') return fail('clientId: expected a string');
  if (o.event !== 'connect' && o.event !== 'disconnect') return fail('event: expected "connect" or "disconnect"');
  if (o.reason !== null && typeof o.reason !== 'string') return fail('reason: expected a string or null');
  if (typeof o.node !== 'string') return fail('node: expected a string');
  if (o.remoteAddress !== null && typeof o.remoteAddress !== 'string') return fail('remoteAddress: expected a string or null');
  if (!Number.isSafeInteger(o.ts)) return fail('ts: expected an integer');
  if (!Number.isSafeInteger(o.epoch) || (o.epoch as number) < 0) return fail('epoch: expected a non-negative integer');
  return ok({
    instanceId: o.instanceId,
    clientId: o.clientId,
    event: o.event,
    reason: o.reason,
    node: o.node,
    remoteAddress: o.remoteAddress,
    ts: o.ts as number,
    epoch: o.epoch as number,
  });
}
