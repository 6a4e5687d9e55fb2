import { downlinkDestination } from './inflow.js';
import { RuleSet } from './rule-set.js';
import type { Rule } from './rule.types.js';
import { statusKey, statusSourceMatches } from './status.js';

const target = { kafkaTopic: 'k', keyStrategy: 'clientId', format: 'raw', payloadEncoding: 'base64' } as const;
const rules: Rule[] = [
  { id: 'o1', instanceId: 'fmq-a', name: 'o1', enabled: true, createdAt: 0, kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target },
  { id: 'o2', instanceId: 'fmq-a', name: 'o2', enabled: true, createdAt: 0, kind: 'outflow', source: { topicFilter: 'telemetry/+/temp' }, target },
  { id: 'o3', instanceId: 'fmq-a', name: 'o3', enabled: false, createdAt: 0, kind: 'outflow', source: { topicFilter: '#' }, target },
  { id: 'o4', instanceId: 'fmq-b', name: 'o4', enabled: true, createdAt: 0, kind: 'outflow', source: { topicFilter: '#' }, target },
  { id: 's1', instanceId: 'fmq-a', name: 's1', enabled: true, createdAt: 0, kind: 'status', source: { groupId: 'GID_cars' }, target: { kafkaTopic: 's', keyStrategy: 'none' } },
  { id: 's2', instanceId: 'fmq-a', name: 's2', enabled: true, createdAt: 0, kind: 'status', source: {}, target: { kafkaTopic: 's', keyStrategy: 'clientId' } },
  { id: 'i1', instanceId: 'fmq-a', name: 'i1', enabled: true, createdAt: 0, kind: 'inflow', source: { kafkaTopic: 'c' }, target: { topicTemplate: 'cmd/x', qos: 1, retain: false } },
  { id: 'i2', instanceId: 'fmq-a', name: 'i2', enabled: false, createdAt: 0, kind: 'inflow', source: { kafkaTopic: 'c' }, target: { topicTemplate: 'cmd/x', qos: 1, retain: false } },
];

describe('RuleSet', () => {
  const set = new RuleSet(rules);
  it.each([
    ['fmq-a', 'telemetry/d1/temp', ['o1', 'o2']],
    ['fmq-a', 'telemetry/d1', ['o1']],
    ['fmq-a', 'other/d1', []],
    ['fmq-b', 'telemetry/d1/temp', ['o4']],
    ['fmq-b', '$SYS/x', []],
    ['fmq-c', 'telemetry/d1', []],
  ])('outflow %s %s -> %j', (instance, topic, ids) => {
    expect(set.outflowFor(instance, topic).map((r) => r.id)).toEqual(ids);
  });

  it.each([
    ['fmq-a', 'GID_cars@@@c1', ['s1', 's2']],
    ['fmq-a', 'GID_bikes@@@b1', ['s2']],
    ['fmq-a', 'not-a-client-id', ['s2']],
    ['fmq-b', 'GID_cars@@@c1', []],
  ])('status %s %s -> %j', (instance, clientId, ids) => {
    expect(set.statusFor(instance, clientId).map((r) => r.id)).toEqual(ids);
  });

  it('lists enabled inflow rules and finds any rule by id', () => {
    expect(set.inflowRules().map((r) => r.id)).toEqual(['i1']);
    expect(set.get('o3')?.enabled).toBe(false);
    expect(RuleSet.empty.outflowFor('fmq-a', 'telemetry/x')).toEqual([]);
    // o3 is disabled: fmq-c has none enabled.
    expect([set.hasOutflow('fmq-a'), set.hasOutflow('fmq-b'), set.hasOutflow('fmq-c')]).toEqual([true, true, false]);
  });
});

describe('status helpers', () => {
  it.each([
    [{}, 'anything', true],
    [{ groupId: 'GID_a' }, 'GID_a@@@x', true],
    [{ groupId: 'GID_a' }, 'GID_ab@@@x', false],
  ])('%j admits %s: %s', (source, clientId, ok) => {
    expect(statusSourceMatches(source, clientId)).toBe(ok);
  });
  it('keys by client or not at all', () => {
    expect(statusKey('clientId', 'c')).toBe('c');
    expect(statusKey('none', 'c')).toBeNull();
  });
});

describe('downlinkDestination', () => {
  it.each([
    ['fmq-a', 'cmd/all', { ok: true, value: { topic: 'cmd/all' } }],
    ['fmq-a', 'cmd/p2p/GID_a@@@d1', { ok: true, value: { topic: 'cmd/p2p/GID_a@@@d1', targetClientId: 'GID_a@@@d1' } }],
    ['fmq-a', 'cmd/p2p/device-1', { ok: false, reason: 'invalid-target-client' }],
    ['default', 'cmd/p2p/device-1', { ok: true, value: { topic: 'cmd/p2p/device-1', targetClientId: 'device-1' } }],
    // Under <parent>/p2p/ but not <parent>/p2p/<clientId>: a `cmd/#` subscriber would see it.
    ['fmq-a', 'cmd/p2p/a/b', { ok: false, reason: 'invalid-topic' }],
    ['default', 'cmd/p2p/', { ok: false, reason: 'invalid-topic' }],
    ['fmq-a', 'cmd/p2p', { ok: true, value: { topic: 'cmd/p2p' } }],
  ])('%s %s', (instance, topic, expected) => {
    expect(downlinkDestination(instance, topic)).toMatchObject(expected);
  });
});
