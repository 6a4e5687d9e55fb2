import { parseClientId } from '../client-id.js';
import { DEFAULT_INSTANCE_ID } from '../instance-id.js';
import { parseP2PTopic } from '../p2p.js';

/** Where an inflow record goes: one client (P2P) or every subscriber of the topic (broadcast). */
export interface DownlinkDestination {
  topic: string;
  /** Set for `<parent>/p2p/<clientId>`: only that client receives it. */
  targetClientId?: string;
}

export type DestinationResult = { ok: true; value: DownlinkDestination } | { ok: false; reason: 'invalid-target-client'; detail: string };

/**
 * Classifies a rendered topic. A P2P target must be a valid client ID (GID_x@@@device) except in
 * the anonymous default instance, where any client ID is allowed.
 */
export function downlinkDestination(instanceId: string, topic: string): DestinationResult {
  const p2p = parseP2PTopic(topic);
  if (p2p === null) return { ok: true, value: { topic } };
  if (instanceId !== DEFAULT_INSTANCE_ID && parseClientId(p2p.targetClientId) === null) {
    return { ok: false, reason: 'invalid-target-client', detail: `${p2p.targetClientId} is not a client ID GID_x@@@device` };
  }
  return { ok: true, value: { topic, targetClientId: p2p.targetClientId } };
}
