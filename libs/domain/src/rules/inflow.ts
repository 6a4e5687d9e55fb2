import { DEFAULT_INSTANCE_ID } from '../instance-id.js';
import { downlinkTarget } from '../p2p.js';

/** Where an inflow record goes: one client (P2P) or every subscriber of the topic (broadcast). */
export interface DownlinkDestination {
  topic: string;
  /** Set for `<parent>/p2p/<clientId>`: only that client receives it. */
  targetClientId?: string;
}

export type DestinationResult = { ok: true; value: DownlinkDestination } | { ok: false; reason: 'invalid-target-client' | 'invalid-topic'; detail: string };

/**
 * Classifies a rendered topic (see downlinkTarget). A P2P target must be a valid client ID
 * (GID_x@@@device) except in the anonymous default instance, where any client ID is allowed;
 * any other topic under `<parent>/p2p/` is refused, never broadcast.
 */
export function downlinkDestination(instanceId: string, topic: string): DestinationResult {
  const target = downlinkTarget(topic, undefined, instanceId === DEFAULT_INSTANCE_ID);
  if (!target.ok) return { ok: false, reason: target.problem === 'invalid-target-client' ? 'invalid-target-client' : 'invalid-topic', detail: target.detail };
  return { ok: true, value: target.targetClientId === undefined ? { topic } : { topic, targetClientId: target.targetClientId } };
}
