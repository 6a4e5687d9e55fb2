import { CONTROL_COMMAND_TYPES, type ControlCommand, type ControlCommandType } from '../types.js';
import { isNonEmptyString, isOptionalString, parseJsonObject } from './json.js';
import { fail, ok, type IncomingRecord, type OutgoingRecord, type ParseResult } from './record.js';

/** Keyed by instance: commands about one instance stay in order. */
export function buildControlRecord(command: ControlCommand): OutgoingRecord {
  return { key: command.instanceId, value: Buffer.from(JSON.stringify(command)), headers: {} };
}

/** Fields each command must carry besides `type` and `instanceId`; optional ones are checked as strings. */
const REQUIRED: Record<ControlCommandType, { required: string[]; optional: string[] }> = {
  kick: { required: ['clientId'], optional: ['reason'] },
  'token-revoked': { required: ['tokenHash'], optional: [] },
  'key-disabled': { required: ['accessKeyId'], optional: [] },
  'credential-revoked': { required: ['clientId'], optional: ['accessKeyId'] },
  'rules-changed': { required: [], optional: ['ruleId'] },
  'instance-deleted': { required: [], optional: [] },
};

export function parseControlRecord(record: IncomingRecord): ParseResult<ControlCommand> {
  const o = parseJsonObject(record.value);
  if (typeof o === 'string') return fail(o);
  if (!CONTROL_COMMAND_TYPES.includes(o.type as ControlCommandType)) return fail(`type: expected one of ${CONTROL_COMMAND_TYPES.join(', ')}`);
  const type = o.type as ControlCommandType;
  if (!isNonEmptyString(o.instanceId)) return fail('instanceId: expected a non-empty string');
  const shape = REQUIRED[type];
  const command: Record<string, unknown> = { type, instanceId: o.instanceId };
  for (const field of shape.required) {
    if (!isNonEmptyString(o[field])) return fail(`${field}: required for ${type}`);
    command[field] = o[field];
  }
  for (const field of shape.optional) {
    if (!isOptionalString(o[field])) return fail(`${field}: expected a string`);
    if (o[field] !== undefined) command[field] = o[field];
  }
  if (o.ts !== undefined) {
    if (!Number.isSafeInteger(o.ts)) return fail('ts: expected an integer');
    command.ts = o.ts;
  }
  // The checks above establish exactly the fields of the union member named by `type`.
  return ok(command as unknown as ControlCommand);
}
