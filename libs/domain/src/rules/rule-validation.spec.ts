import { parseStoredRule, validateRuleBody, validateRuleDefinition } from './rule-validation.js';

const outflow = (target: Record<string, unknown> = {}, source: unknown = { topicFilter: 'telemetry/#' }) => ({
  name: 'to-orders',
  kind: 'outflow',
  source,
  target: { kafkaTopic: 'orders', ...target },
});

describe('validateRuleBody', () => {
  it('fills outflow defaults', () => {
    expect(validateRuleBody(outflow())).toEqual({
      ok: true,
      value: {
        name: 'to-orders',
        kind: 'outflow',
        enabled: true,
        source: { topicFilter: 'telemetry/#' },
        target: { kafkaTopic: 'orders', keyStrategy: 'clientId', format: 'raw', payloadEncoding: 'base64' },
      },
    });
  });

  it('fills inflow and status defaults', () => {
    const inflow = validateRuleBody({ name: 'cmd', kind: 'inflow', source: { kafkaTopic: 'commands' }, target: { topicTemplate: 'cmd/p2p/${key}' } });
    expect(inflow.ok && inflow.value).toMatchObject({ target: { topicTemplate: 'cmd/p2p/${key}', qos: 1, retain: false } });
    const status = validateRuleBody({ name: 'st', kind: 'status', target: { kafkaTopic: 'presence-out' }, enabled: false });
    expect(status.ok && status.value).toEqual({ name: 'st', kind: 'status', enabled: false, source: {}, target: { kafkaTopic: 'presence-out', keyStrategy: 'clientId' } });
  });

  it.each([
    ['not an object', 'x', ''],
    ['missing name', { ...outflow(), name: undefined }, 'name'],
    ['blank name', { ...outflow(), name: '  ' }, 'name'],
    ['long name', { ...outflow(), name: 'n'.repeat(129) }, 'name'],
    ['unknown top-level field', { ...outflow(), extra: 1 }, 'extra'],
    ['enabled not boolean', { ...outflow(), enabled: 'yes' }, 'enabled'],
    ['unknown kind', { ...outflow(), kind: 'sideflow' }, 'kind'],
    ['outflow filter missing', outflow({}, {}), 'source.topicFilter'],
    ['outflow filter with bad +', outflow({}, { topicFilter: 'a/b+' }), 'source.topicFilter'],
    ['outflow filter with # not last', outflow({}, { topicFilter: 'a/#/b' }), 'source.topicFilter'],
    ['outflow filter too long', outflow({}, { topicFilter: 'a'.repeat(129) }), 'source.topicFilter'],
    ['outflow source not object', outflow({}, 'telemetry/#'), 'source'],
    ['outflow unknown source field', outflow({}, { topicFilter: 'a', other: 1 }), 'source.other'],
    ['bad kafka topic', outflow({ kafkaTopic: 'a b' }), 'target.kafkaTopic'],
    ['reserved fleetmq topic', outflow({ kafkaTopic: 'fleetmq.uplink' }), 'target.kafkaTopic'],
    ['bad key strategy', outflow({ keyStrategy: 'random' }), 'target.keyStrategy'],
    ['bad format', outflow({ format: 'xml' }), 'target.format'],
    ['bad payload encoding', outflow({ payloadEncoding: 'hex' }), 'target.payloadEncoding'],
    ['unknown target field', outflow({ partitions: 3 }), 'target.partitions'],
  ])('refuses %s', (_name, body, field) => {
    const result = validateRuleBody(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toContain(field);
  });

  it('reports every problem at once', () => {
    const result = validateRuleBody({ name: '', kind: 'outflow', source: { topicFilter: '' }, target: { kafkaTopic: '', format: 'x' } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field).sort()).toEqual(['name', 'source.topicFilter', 'target.format', 'target.kafkaTopic']);
  });

  it('uses the configured topic length', () => {
    expect(validateRuleBody(outflow({}, { topicFilter: 'a'.repeat(200) }), { maxTopicLength: 256 }).ok).toBe(true);
  });
});

describe('validateRuleDefinition', () => {
  it.each([
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/p2p/${key}', qos: 0, retain: true }, true],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/all' }, true],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/${header.area}/x' }, true],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/${value}' }, false],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: '${key}/x' }, false],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/+' }, false],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/p2p/${key}', qos: 2 }, false],
    ['inflow', { kafkaTopic: 'cmds' }, { topicTemplate: 'cmd/x', retain: 'no' }, false],
    ['inflow', { kafkaTopic: 'fleetmq.downlink' }, { topicTemplate: 'cmd/x' }, false],
    ['inflow', {}, { topicTemplate: 'cmd/x' }, false],
    ['status', { groupId: 'GID_cars' }, { kafkaTopic: 'st', keyStrategy: 'none' }, true],
    ['status', undefined, { kafkaTopic: 'st' }, true],
    ['status', { groupId: 'cars' }, { kafkaTopic: 'st' }, false],
    ['status', {}, { kafkaTopic: 'st', keyStrategy: 'topic' }, false],
    ['status', {}, undefined, false],
    ['outflow', { topicFilter: '#' }, { kafkaTopic: 'all', keyStrategy: 'none', format: 'json', payloadEncoding: 'utf8' }, true],
  ])('%s %j %j -> %s', (kind, source, target, ok) => {
    const result = validateRuleDefinition(kind, source, target);
    expect(result.ok).toBe(ok);
  });
});

describe('parseStoredRule', () => {
  it('keeps identity and fills defaults', () => {
    const result = parseStoredRule({ id: 'r1', instanceId: 'fmq-abcdef', name: 'n', kind: 'status', source: {}, target: { kafkaTopic: 'st' }, enabled: true });
    expect(result).toEqual({ ok: true, value: { id: 'r1', instanceId: 'fmq-abcdef', name: 'n', kind: 'status', enabled: true, source: {}, target: { kafkaTopic: 'st', keyStrategy: 'clientId' } } });
  });

  it('reports a row that no longer validates', () => {
    const result = parseStoredRule({ id: 'r1', instanceId: 'i', name: 'n', kind: 'outflow', source: { topicFilter: 'a/#/b' }, target: { kafkaTopic: 'x' }, enabled: true });
    expect(result.ok).toBe(false);
  });
});
