import { validateTopicName } from '#domain';
import { authorizeCheckedPublish, authorizePublish, authorizeReceive, authorizeSubscribe, tokenExpiry } from './acl.js';
import type { Identity, TokenGrant } from './identity.js';

const NOW = 1_700_000_000_000;
const LATER = NOW + 60_000;
const PARENTS: ReadonlySet<string> = new Set(['telemetry', 'cmd']);
const INSTANCE = 'fmq-7k2d9x';
const ME = 'GID_a@@@me';
const OTHER = 'GID_a@@@other';

const anonymous: Identity = { kind: 'anonymous', instanceId: 'default', clientId: 'anything' };
const key = (permission: 'PUB' | 'SUB' | 'ALL'): Identity => ({ kind: 'access-key', instanceId: INSTANCE, clientId: ME, accessKeyId: 'AK1', permission });
const device: Identity = { kind: 'device-credential', instanceId: INSTANCE, clientId: ME, accessKeyId: 'DAK1' };
const token = (grants: { read?: TokenGrant; write?: TokenGrant }): Identity => ({ kind: 'token', instanceId: INSTANCE, clientId: ME, accessKeyId: 'AK1', ...grants });
const grant = (resources: string[], expiresAt = LATER): TokenGrant => ({ resources, expiresAt });

type Case = [name: string, identity: Identity, topic: string, reason: string | null];

function decisionOf(decision: { allowed: boolean; reason?: string }): string | null {
  return decision.allowed ? null : (decision.reason ?? 'missing reason');
}

describe('authorizePublish', () => {
  const cases: Case[] = [
    // anonymous: a plain broker
    ['anonymous, unknown parent', anonymous, 'anything/at/all', null],
    ['anonymous, $ topic', anonymous, '$SYS/x', null],
    ['anonymous, single level', anonymous, 'x', null],
    ['anonymous, invalid name', anonymous, 'a/+', 'invalid-topic'],
    ['anonymous, empty', anonymous, '', 'invalid-topic'],
    // parent topics and reserved topics, for every other identity
    ['ALL key, known parent', key('ALL'), 'telemetry/GID_a@@@me/temp', null],
    ['ALL key, parent alone', key('ALL'), 'telemetry', null],
    ['ALL key, unknown parent', key('ALL'), 'other/x', 'unknown-parent-topic'],
    ['ALL key, parent as a deeper level', key('ALL'), 'x/telemetry', 'unknown-parent-topic'],
    ['ALL key, prefix of a parent', key('ALL'), 'tele/x', 'unknown-parent-topic'],
    ['ALL key, empty first level', key('ALL'), '/telemetry', 'unknown-parent-topic'],
    ['ALL key, $ topic', key('ALL'), '$SYS/x', 'reserved-topic'],
    ['ALL key, wildcard in name', key('ALL'), 'telemetry/#', 'invalid-topic'],
    ['ALL key, U+0000', key('ALL'), 'telemetry/\u0000', 'invalid-topic'],
    // access-key permissions
    ['PUB key', key('PUB'), 'telemetry/x', null],
    ['SUB key', key('SUB'), 'telemetry/x', 'no-publish-permission'],
    ['SUB key, unknown parent', key('SUB'), 'other/x', 'unknown-parent-topic'],
    // device credential: both
    ['device credential', device, 'telemetry/x', null],
    ['device credential, unknown parent', device, 'nope/x', 'unknown-parent-topic'],
    // tokens
    ['W grant, exact resource', token({ write: grant(['telemetry/x']) }), 'telemetry/x', null],
    ['W grant, + resource', token({ write: grant(['telemetry/+/temp']) }), 'telemetry/d1/temp', null],
    ['W grant, # resource', token({ write: grant(['telemetry/#']) }), 'telemetry/a/b/c', null],
    ['W grant, # resource matches the parent', token({ write: grant(['telemetry/#']) }), 'telemetry', null],
    ['W grant, second resource matches', token({ write: grant(['cmd/x', 'telemetry/y']) }), 'telemetry/y', null],
    ['W grant, no resource matches', token({ write: grant(['telemetry/x']) }), 'telemetry/y', 'token-resource-mismatch'],
    ['W grant, + is one level', token({ write: grant(['telemetry/+']) }), 'telemetry/a/b', 'token-resource-mismatch'],
    ['W grant, no resources', token({ write: grant([]) }), 'telemetry/x', 'token-resource-mismatch'],
    ['W grant, parent unknown', token({ write: grant(['other/#']) }), 'other/x', 'unknown-parent-topic'],
    ['W grant expired', token({ write: grant(['telemetry/#'], NOW - 1) }), 'telemetry/x', 'token-expired'],
    ['W grant expires right now', token({ write: grant(['telemetry/#'], NOW) }), 'telemetry/x', 'token-expired'],
    ['W grant expires 1 ms later', token({ write: grant(['telemetry/#'], NOW + 1) }), 'telemetry/x', null],
    ['R grant only', token({ read: grant(['telemetry/#']) }), 'telemetry/x', 'no-publish-permission'],
    ['no grant', token({}), 'telemetry/x', 'no-publish-permission'],
    ['valid W, expired R', token({ write: grant(['telemetry/#']), read: grant(['telemetry/#'], NOW - 1) }), 'telemetry/x', null],
    // P2P publish follows the publish rule
    ['ALL key, P2P to another client', key('ALL'), `cmd/p2p/${OTHER}`, null],
    ['SUB key, P2P', key('SUB'), `cmd/p2p/${OTHER}`, 'no-publish-permission'],
    ['ALL key, P2P under unknown parent', key('ALL'), `gone/p2p/${OTHER}`, 'unknown-parent-topic'],
    ['W grant covering P2P', token({ write: grant(['cmd/p2p/+']) }), `cmd/p2p/${OTHER}`, null],
    ['W grant not covering P2P', token({ write: grant(['cmd/status']) }), `cmd/p2p/${OTHER}`, 'token-resource-mismatch'],
    // Under <parent>/p2p/ but naming no single client: a cmd/# subscriber would receive it.
    ['ALL key, below a P2P topic', key('ALL'), `cmd/p2p/${OTHER}/x`, 'p2p-malformed'],
    ['anonymous, below a P2P topic', anonymous, 'demo/p2p/x/y', 'p2p-malformed'],
    ['anonymous, empty P2P target', anonymous, 'demo/p2p/', 'p2p-malformed'],
    ['ALL key, cmd/p2p itself is an ordinary topic', key('ALL'), 'cmd/p2p', null],
  ];

  it.each(cases)('%s', (_name, identity, topic, reason) => {
    expect(decisionOf(authorizePublish(identity, topic, PARENTS, NOW))).toBe(reason);
  });

  // The gateway validates the topic and refuses '$' itself, then asks authorizeCheckedPublish.
  const checkedCases = cases.filter(([, , topic]) => validateTopicName(topic, 65535) === null && !topic.startsWith('$'));
  it.each(checkedCases)('authorizeCheckedPublish decides as authorizePublish: %s', (_name, identity, topic, reason) => {
    expect(decisionOf(authorizeCheckedPublish(identity, topic, PARENTS, NOW))).toBe(reason);
  });

  it('checks parents against the set it is given, per instance', () => {
    expect(authorizePublish(key('ALL'), 'telemetry/x', new Set<string>(), NOW)).toEqual({ allowed: false, reason: 'unknown-parent-topic' });
    expect(authorizePublish(key('ALL'), 'fresh/x', new Set(['fresh']), NOW)).toEqual({ allowed: true });
  });
});

describe('authorizeSubscribe', () => {
  const cases: Case[] = [
    // anonymous: a plain broker
    ['anonymous, #', anonymous, '#', null],
    ['anonymous, +/x', anonymous, '+/x', null],
    ['anonymous, $SYS/#', anonymous, '$SYS/#', null],
    ['anonymous, someone else P2P', anonymous, 'cmd/p2p/x', null],
    ['anonymous, invalid filter', anonymous, 'a/#/b', 'invalid-filter'],
    // parent topics and reserved topics
    ['ALL key, known parent', key('ALL'), 'telemetry/+/temp', null],
    ['ALL key, parent/#', key('ALL'), 'telemetry/#', null],
    ['ALL key, parent alone', key('ALL'), 'cmd', null],
    ['ALL key, #', key('ALL'), '#', 'wildcard-parent'],
    ['ALL key, +/x', key('ALL'), '+/x', 'wildcard-parent'],
    ['ALL key, +', key('ALL'), '+', 'wildcard-parent'],
    ['ALL key, unknown parent', key('ALL'), 'other/#', 'unknown-parent-topic'],
    ['ALL key, $SYS/#', key('ALL'), '$SYS/#', 'reserved-topic'],
    ['ALL key, invalid filter', key('ALL'), 'telemetry/x+', 'invalid-filter'],
    // access-key permissions
    ['SUB key', key('SUB'), 'telemetry/#', null],
    ['PUB key', key('PUB'), 'telemetry/#', 'no-subscribe-permission'],
    ['device credential', device, 'telemetry/#', null],
    // tokens
    ['R grant, same filter', token({ read: grant(['telemetry/+/temp']) }), 'telemetry/+/temp', null],
    ['R grant, narrower filter', token({ read: grant(['telemetry/#']) }), 'telemetry/+/temp', null],
    ['R grant, topic name', token({ read: grant(['telemetry/#']) }), 'telemetry/d1/temp', null],
    ['R grant, covered by the second resource', token({ read: grant(['cmd/x', 'telemetry/#']) }), 'telemetry/a', null],
    ['R grant, wider filter', token({ read: grant(['telemetry/+']) }), 'telemetry/#', 'token-resource-mismatch'],
    ['R grant, overlapping but not covered', token({ read: grant(['telemetry/a/+']) }), 'telemetry/+/b', 'token-resource-mismatch'],
    ['R grant, resources only cover the union', token({ read: grant(['telemetry/a', 'telemetry/b']) }), 'telemetry/+', 'token-resource-mismatch'],
    ['R grant expired', token({ read: grant(['telemetry/#'], NOW - 1) }), 'telemetry/x', 'token-expired'],
    ['R grant expires right now', token({ read: grant(['telemetry/#'], NOW) }), 'telemetry/x', 'token-expired'],
    ['W grant only', token({ write: grant(['telemetry/#']) }), 'telemetry/x', 'no-subscribe-permission'],
    ['R grant under unknown parent', token({ read: grant(['other/#']) }), 'other/x', 'unknown-parent-topic'],
    // P2P: only the client's own topic, always
    ['ALL key, own P2P', key('ALL'), `cmd/p2p/${ME}`, null],
    ['PUB key, own P2P', key('PUB'), `cmd/p2p/${ME}`, null],
    ['token without R, own P2P', token({ write: grant(['telemetry/#']) }), `cmd/p2p/${ME}`, null],
    ['device credential, own P2P', device, `telemetry/p2p/${ME}`, null],
    ['own P2P under unknown parent', key('ALL'), `gone/p2p/${ME}`, 'unknown-parent-topic'],
    ['ALL key, other client P2P', key('ALL'), `cmd/p2p/${OTHER}`, 'p2p-not-own'],
    ['ALL key, p2p/+', key('ALL'), 'cmd/p2p/+', 'p2p-not-own'],
    ['ALL key, p2p/#', key('ALL'), 'cmd/p2p/#', 'p2p-not-own'],
    ['ALL key, below own P2P', key('ALL'), `cmd/p2p/${ME}/x`, 'p2p-not-own'],
    ['ALL key, own P2P with #', key('ALL'), `cmd/p2p/${ME}/#`, 'p2p-not-own'],
    ['R grant cmd/#, other client P2P', token({ read: grant(['cmd/#']) }), `cmd/p2p/${OTHER}`, 'p2p-not-own'],
    ['ALL key, cmd/p2p itself is an ordinary topic', key('ALL'), 'cmd/p2p', null],
    ['ALL key, p2p deeper is ordinary', key('ALL'), `cmd/x/p2p/${OTHER}`, null],
    ['ALL key, p2px is ordinary', key('ALL'), 'cmd/p2px/y', null],
  ];

  it.each(cases)('%s', (_name, identity, filter, reason) => {
    expect(decisionOf(authorizeSubscribe(identity, filter, PARENTS, NOW))).toBe(reason);
  });
});

describe('authorizeReceive', () => {
  const cases: Case[] = [
    ['anonymous receives anything', anonymous, 'a/b', null],
    ['ALL key receives any topic', key('ALL'), 'telemetry/x', null],
    ['SUB key receives any topic', key('SUB'), 'telemetry/x', null],
    ['PUB key receives nothing queued or live', key('PUB'), 'telemetry/x', 'no-subscribe-permission'],
    ['PUB key still receives its own P2P', key('PUB'), `cmd/p2p/${ME}`, null],
    ['PUB key does not receive another client’s P2P', key('PUB'), `cmd/p2p/${OTHER}`, 'no-subscribe-permission'],
    ['PUB key: a longer ID ending in its own is not its P2P', key('PUB'), `cmd/p2p/x${ME}`, 'no-subscribe-permission'],
    ['device credential receives', device, 'telemetry/x', null],
    ['token R on the resource receives', token({ read: grant(['telemetry/room1/#']) }), 'telemetry/room1/a', null],
    ['token R outside the resources', token({ read: grant(['telemetry/room1/#']) }), 'telemetry/room2/a', 'token-resource-mismatch'],
    ['W-only token receives nothing', token({ write: grant(['telemetry/#']) }), 'telemetry/a', 'no-subscribe-permission'],
    ['W-only token receives its own P2P', token({ write: grant(['telemetry/#']) }), `telemetry/p2p/${ME}`, null],
    ['expired R token', token({ read: grant(['telemetry/#'], NOW) }), 'telemetry/a', 'token-expired'],
  ];
  it.each(cases)('%s', (_name, identity, topic, reason) => {
    expect(decisionOf(authorizeReceive(identity, topic, NOW))).toBe(reason);
  });
});

describe('tokenExpiry', () => {
  it.each([
    ['anonymous', anonymous, undefined],
    ['access key', key('ALL'), undefined],
    ['device credential', device, undefined],
    ['token without grants', token({}), undefined],
    ['read only', token({ read: grant([], 5) }), 5],
    ['write only', token({ write: grant([], 7) }), 7],
    ['read earlier', token({ read: grant([], 5), write: grant([], 7) }), 5],
    ['write earlier', token({ read: grant([], 9), write: grant([], 7) }), 7],
  ] as Array<[string, Identity, number | undefined]>)('%s -> %s', (_name, identity, expected) => {
    expect(tokenExpiry(identity)).toBe(expected);
  });
});
