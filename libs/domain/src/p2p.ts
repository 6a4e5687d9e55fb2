import { parseClientId } from './client-id.js';

/** Second level that marks a point-to-point topic: `<parent>/p2p/<clientId>`. */
export const P2P_LEVEL = 'p2p';

export interface ParsedP2PTopic {
  parent: string;
  targetClientId: string;
}

/** The parts of a P2P topic, or null unless `topic` has exactly the three levels `<parent>/p2p/<clientId>`. */
export function parseP2PTopic(topic: string): ParsedP2PTopic | null {
  const first = topic.indexOf('/');
  if (first <= 0) return null;
  const second = topic.indexOf('/', first + 1);
  if (second < 0 || topic.slice(first + 1, second) !== P2P_LEVEL) return null;
  const targetClientId = topic.slice(second + 1);
  if (targetClientId.length === 0 || targetClientId.includes('/')) return null;
  return { parent: topic.slice(0, first), targetClientId };
}

export function p2pTopic(parent: string, clientId: string): string {
  return `${parent}/${P2P_LEVEL}/${clientId}`;
}

/** Why a message's P2P addressing was refused. */
export type P2PProblem = 'malformed-p2p-topic' | 'invalid-target-client' | 'target-without-p2p-topic' | 'target-contradicts-topic';

export type DownlinkTarget =
  | { ok: true; targetClientId: string | undefined }
  | { ok: false; problem: P2PProblem; /** Which input is wrong: the topic or the explicit target. */ field: 'topic' | 'target'; detail: string };

const BROADCAST: DownlinkTarget = Object.freeze({ ok: true, targetClientId: undefined });

/** `<parent>/p2p/<anything>`: the topic lies in the P2P space, whether or not it is well formed. */
export function isUnderP2P(topic: string): boolean {
  const first = topic.indexOf('/');
  if (first <= 0) return false;
  const start = first + 1;
  return topic.startsWith(P2P_LEVEL, start) && topic.charCodeAt(start + P2P_LEVEL.length) === 0x2f;
}

/**
 * Who receives a message sent to `topic` from outside MQTT (console, downlink record, inflow
 * template). P2P is a property of the topic: `<parent>/p2p/<clientId>` reaches only that client,
 * however it was sent, so it never needs a separate target; a target given anyway must name
 * the same client, and one given with any other topic is refused rather than turning that
 * topic into a private message. Any other topic under `<parent>/p2p/` is refused too: a
 * wildcard subscriber of `<parent>/#` would receive it. `anyClientId` is for the anonymous
 * default instance, whose clients may use any ID.
 */
export function downlinkTarget(topic: string, target: string | undefined, anyClientId: boolean): DownlinkTarget {
  if (!isUnderP2P(topic)) {
    if (target === undefined) return BROADCAST;
    return { ok: false, problem: 'target-without-p2p-topic', field: 'target', detail: `a target client needs the topic <parent>/${P2P_LEVEL}/${target}` };
  }
  const p2p = parseP2PTopic(topic);
  if (p2p === null) {
    return { ok: false, problem: 'malformed-p2p-topic', field: 'topic', detail: `a topic under <parent>/${P2P_LEVEL}/ must be exactly <parent>/${P2P_LEVEL}/<clientId>` };
  }
  if (target !== undefined && target !== p2p.targetClientId) {
    return { ok: false, problem: 'target-contradicts-topic', field: 'target', detail: `${target} is not the client the topic names (${p2p.targetClientId})` };
  }
  if (!anyClientId && parseClientId(p2p.targetClientId) === null) {
    return { ok: false, problem: 'invalid-target-client', field: 'topic', detail: `${p2p.targetClientId} is not a client ID GID_<group>@@@<device>` };
  }
  return { ok: true, targetClientId: p2p.targetClientId };
}
