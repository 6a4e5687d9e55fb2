import { parseClientId } from '../client-id.js';
import type { StatusKeyStrategy, StatusSource } from './rule.types.js';

/** Whether a presence event of `clientId` passes a status rule's group filter. */
export function statusSourceMatches(source: StatusSource, clientId: string): boolean {
  if (source.groupId === undefined) return true;
  return parseClientId(clientId)?.groupId === source.groupId;
}

export function statusKey(strategy: StatusKeyStrategy, clientId: string): string | null {
  return strategy === 'clientId' ? clientId : null;
}
