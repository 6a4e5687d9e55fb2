import { isUnderP2P, parentTopicOf, parseP2PTopic, p2pTopic, P2P_LEVEL, topicMatches, filterCovers, validateTopicFilter, validateTopicName, MAX_MQTT_STRING_BYTES } from '#domain';
import type { Identity, TokenGrant } from './identity.js';

export type AclDecision = { allowed: true } | { allowed: false; reason: string };

/** Stable deny reasons (counted in metrics, shown in logs). */
export const DENY_REASONS = {
  invalidTopic: 'invalid-topic',
  invalidFilter: 'invalid-filter',
  reservedTopic: 'reserved-topic',
  wildcardParent: 'wildcard-parent',
  unknownParentTopic: 'unknown-parent-topic',
  noPublishPermission: 'no-publish-permission',
  noSubscribePermission: 'no-subscribe-permission',
  tokenExpired: 'token-expired',
  tokenResourceMismatch: 'token-resource-mismatch',
  p2pNotOwn: 'p2p-not-own',
  p2pMalformed: 'p2p-malformed',
} as const;
export type DenyReason = (typeof DENY_REASONS)[keyof typeof DENY_REASONS];

// Shared frozen decisions: authorizePublish runs per PUBLISH and should not allocate.
const ALLOW: AclDecision = Object.freeze({ allowed: true });
const DENY = Object.fromEntries(
  Object.values(DENY_REASONS).map((reason) => [reason, Object.freeze({ allowed: false, reason })]),
) as Record<DenyReason, AclDecision>;

const DOLLAR = 0x24;

/**
 * Whether `identity` may publish to topic name `topic`. Anonymous clients use the default
 * instance as a plain broker; everyone else stays inside the instance's parent topics.
 * A P2P topic `<parent>/p2p/<clientId>` follows the same rule as any other topic; any other
 * topic under `<parent>/p2p/` is refused to everyone, as a `<parent>/#` subscriber would
 * receive it.
 */
export function authorizePublish(identity: Identity, topic: string, parentTopics: ReadonlySet<string>, now: number): AclDecision {
  if (validateTopicName(topic, MAX_MQTT_STRING_BYTES) !== null) return DENY['invalid-topic'];
  if (isUnderP2P(topic) && parseP2PTopic(topic) === null) return DENY['p2p-malformed'];
  if (identity.kind === 'anonymous') return ALLOW;
  if (topic.charCodeAt(0) === DOLLAR) return DENY['reserved-topic'];
  return publishGrant(identity, topic, parentTopics, now);
}

/**
 * authorizePublish for a topic its caller has already validated and found not reserved ('$'):
 * the gateway's PUBLISH path makes both checks once, before the ACL, and this does the rest.
 * Same decision as authorizePublish for every such topic (acl.spec.ts compares them).
 */
export function authorizeCheckedPublish(identity: Identity, topic: string, parentTopics: ReadonlySet<string>, now: number): AclDecision {
  if (isUnderP2P(topic) && parseP2PTopic(topic) === null) return DENY['p2p-malformed'];
  if (identity.kind === 'anonymous') return ALLOW;
  return publishGrant(identity, topic, parentTopics, now);
}

function publishGrant(identity: Exclude<Identity, { kind: 'anonymous' }>, topic: string, parentTopics: ReadonlySet<string>, now: number): AclDecision {
  if (!parentTopics.has(parentTopicOf(topic))) return DENY['unknown-parent-topic'];
  switch (identity.kind) {
    case 'access-key':
      return identity.permission === 'SUB' ? DENY['no-publish-permission'] : ALLOW;
    case 'device-credential':
      return ALLOW;
    case 'token':
      return checkWriteGrant(identity.write, topic, now);
  }
}

/**
 * Whether `identity` may subscribe to `filter`. A client may always subscribe to its own P2P
 * topic; any other filter under `<parent>/p2p/` is refused, as P2P messages are private.
 */
export function authorizeSubscribe(identity: Identity, filter: string, parentTopics: ReadonlySet<string>, now: number): AclDecision {
  if (validateTopicFilter(filter, MAX_MQTT_STRING_BYTES) !== null) return DENY['invalid-filter'];
  if (identity.kind === 'anonymous') return ALLOW;
  const parent = parentTopicOf(filter);
  if (parent === '+' || parent === '#') return DENY['wildcard-parent'];
  if (filter.charCodeAt(0) === DOLLAR) return DENY['reserved-topic'];
  if (!parentTopics.has(parent)) return DENY['unknown-parent-topic'];
  if (isUnderP2P(filter)) {
    return filter === p2pTopic(parent, identity.clientId) ? ALLOW : DENY['p2p-not-own'];
  }
  switch (identity.kind) {
    case 'access-key':
      return identity.permission === 'PUB' ? DENY['no-subscribe-permission'] : ALLOW;
    case 'device-credential':
      return ALLOW;
    case 'token':
      return checkReadGrant(identity.read, filter, now);
  }
}

/**
 * Whether `identity` may receive a message on topic name `topic` (already inside its instance):
 * checked on every delivery, live, retained or queued for an offline session, since a session's
 * queue may be picked up by a connection with fewer rights than the one that subscribed. A
 * client may always receive its own P2P topic. Allocation-free: it runs per delivery.
 */
export function authorizeReceive(identity: Identity, topic: string, now: number): AclDecision {
  switch (identity.kind) {
    case 'anonymous':
    case 'device-credential':
      return ALLOW;
    case 'access-key':
      return identity.permission !== 'PUB' || isOwnP2P(topic, identity.clientId) ? ALLOW : DENY['no-subscribe-permission'];
    case 'token':
      if (isOwnP2P(topic, identity.clientId)) return ALLOW;
      return checkReceiveGrant(identity.read, topic, now);
  }
}

/** When the identity's first token runs out (ms since epoch); undefined when it has none. */
export function tokenExpiry(identity: Identity): number | undefined {
  if (identity.kind !== 'token') return undefined;
  const read = identity.read?.expiresAt;
  const write = identity.write?.expiresAt;
  if (read === undefined) return write;
  if (write === undefined) return read;
  return Math.min(read, write);
}

/** `<parent>/p2p/<clientId>` exactly, without building the string. */
function isOwnP2P(topic: string, clientId: string): boolean {
  const slash = topic.indexOf('/');
  if (slash <= 0) return false;
  const start = slash + 1;
  return (
    topic.length === start + P2P_LEVEL.length + 1 + clientId.length &&
    topic.startsWith(P2P_LEVEL, start) &&
    topic.charCodeAt(start + P2P_LEVEL.length) === 0x2f &&
    topic.endsWith(clientId)
  );
}

// R on filter F allows receiving T when F matches T.
function checkReceiveGrant(grant: TokenGrant | undefined, topic: string, now: number): AclDecision {
  if (grant === undefined) return DENY['no-subscribe-permission'];
  if (grant.expiresAt <= now) return DENY['token-expired'];
  for (const resource of grant.resources) if (topicMatches(resource, topic)) return ALLOW;
  return DENY['token-resource-mismatch'];
}

// W on filter F allows publishing to T when F matches T.
function checkWriteGrant(grant: TokenGrant | undefined, topic: string, now: number): AclDecision {
  if (grant === undefined) return DENY['no-publish-permission'];
  if (grant.expiresAt <= now) return DENY['token-expired'];
  for (const resource of grant.resources) if (topicMatches(resource, topic)) return ALLOW;
  return DENY['token-resource-mismatch'];
}

// R on filter F allows subscribing to S when every topic S matches is matched by F.
function checkReadGrant(grant: TokenGrant | undefined, filter: string, now: number): AclDecision {
  if (grant === undefined) return DENY['no-subscribe-permission'];
  if (grant.expiresAt <= now) return DENY['token-expired'];
  for (const resource of grant.resources) if (filterCovers(resource, filter)) return ALLOW;
  return DENY['token-resource-mismatch'];
}
