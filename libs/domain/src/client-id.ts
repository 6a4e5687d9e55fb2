import { isValidGroupId } from './group-id.js';

export const MAX_CLIENT_ID_LENGTH = 64;
export const CLIENT_ID_SEPARATOR = '@@@';

export interface ParsedClientId {
  groupId: string;
  deviceId: string;
}

const DEVICE_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Splits `GID_<group>@@@<device>`. Both parts are limited to [A-Za-z0-9_-], so a valid ID
 * holds exactly one '@@@'; null when the ID does not have that shape.
 */
export function parseClientId(id: string): ParsedClientId | null {
  if (id.length > MAX_CLIENT_ID_LENGTH) return null;
  const at = id.indexOf(CLIENT_ID_SEPARATOR);
  if (at < 0) return null;
  const groupId = id.slice(0, at);
  const deviceId = id.slice(at + CLIENT_ID_SEPARATOR.length);
  if (!isValidGroupId(groupId) || !DEVICE_ID.test(deviceId)) return null;
  return { groupId, deviceId };
}
