import { parseStoredRule, storedRuleSpec, validateRuleBody, validateRuleDefinition, type RuleValidationOptions } from './rule-validation.js';

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
    ['status', { groupId: null }, { kafkaTopic: 'st' }, false],
    ['outflow', { topicFilter: '#' }, { kafkaTopic: 'all', keyStrategy: 'none', format: 'json', payloadEncoding: 'utf8' }, true],
  ])('%s %j %j -> %s', (kind, source, target, ok) => {
    const result = validateRuleDefinition(kind, source, target);
    expect(result.ok).toBe(ok);
  });
});

describe('parseStoredRule', () => {
  it('keeps identity and fills defaults', () => {
    const result = parseStoredRule({ id: 'r1', instanceId: 'fmq-abcdef', name: 'n', kind: 'status', source: {}, target: { kafkaTopic: 'st' }, enabled: true, createdAt: new Date(1_700_000_000_000) });
    expect(result).toEqual({ ok: true, value: { id: 'r1', instanceId: 'fmq-abcdef', name: 'n', kind: 'status', enabled: true, createdAt: 1_700_000_000_000, source: {}, target: { kafkaTopic: 'st', keyStrategy: 'clientId' } } });
  });

  it('reports a row that no longer validates', () => {
    const result = parseStoredRule({ id: 'r1', instanceId: 'i', name: 'n', kind: 'outflow', source: { topicFilter: 'a/#/b' }, target: { kafkaTopic: 'x' }, enabled: true, createdAt: new Date(0) });
    expect(result.ok).toBe(false);
  });
});

// What the console checks when a rule is written: the instance's parent topics on top of the shape.
describe('validateRuleDefinition with parent topics (console)', () => {
  const atConsole: RuleValidationOptions = { parentTopics: new Set(['telemetry', 'cmd']), maxTopicLength: 128 };
  const stored = (kind: string, source: unknown, target: unknown, options = atConsole) => {
    const result = validateRuleDefinition(kind, source, target, options);
    return result.ok ? storedRuleSpec(result.value) : result;
  };

  it('outflow: keyStrategy clientId, format raw stored without payloadEncoding; json adds base64', () => {
    expect(stored('outflow', { topicFilter: 'telemetry/+/up' }, { kafkaTopic: 'data' })).toEqual({
      source: { topicFilter: 'telemetry/+/up' },
      target: { kafkaTopic: 'data', keyStrategy: 'clientId', format: 'raw' },
    });
    expect(stored('outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'data', format: 'json', keyStrategy: 'none' })).toEqual({
      source: { topicFilter: 'telemetry/#' },
      target: { kafkaTopic: 'data', keyStrategy: 'none', format: 'json', payloadEncoding: 'base64' },
    });
  });

  it('inflow: qos 1, retain false; placeholders allowed after the first level', () => {
    expect(stored('inflow', { kafkaTopic: 'commands' }, { topicTemplate: 'cmd/${key}/${header.x-type}' })).toEqual({
      source: { kafkaTopic: 'commands' },
      target: { topicTemplate: 'cmd/${key}/${header.x-type}', qos: 1, retain: false },
    });
  });

  it('status: group optional, keyStrategy clientId', () => {
    expect(stored('status', {}, { kafkaTopic: 'presence' })).toEqual({ source: {}, target: { kafkaTopic: 'presence', keyStrategy: 'clientId' } });
    expect(stored('status', { groupId: 'GID_cars' }, { kafkaTopic: 'presence' })).toEqual({ source: { groupId: 'GID_cars' }, target: { kafkaTopic: 'presence', keyStrategy: 'clientId' } });
  });

  it('the anonymous instance (parentTopics null) accepts any first level', () => {
    expect(validateRuleDefinition('outflow', { topicFilter: 'anything/#' }, { kafkaTopic: 'x' }, { ...atConsole, parentTopics: null }).ok).toBe(true);
    expect(validateRuleDefinition('inflow', { kafkaTopic: 'k' }, { topicTemplate: 'anything/${key}' }, { ...atConsole, parentTopics: null }).ok).toBe(true);
  });

  it('what is stored parses back to the same rule', () => {
    for (const [kind, source, target] of [
      ['outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'raw' }],
      ['outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'json', format: 'json', payloadEncoding: 'utf8' }],
      ['inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/${key}', qos: 0, retain: true }],
      ['status', { groupId: 'GID_cars' }, { kafkaTopic: 'p', keyStrategy: 'none' }],
    ] as const) {
      const validated = validateRuleDefinition(kind, source, target, atConsole);
      if (!validated.ok) throw new Error(`${kind} should validate`);
      const parsed = parseStoredRule({ id: 'r', instanceId: 'i', name: 'n', enabled: true, createdAt: new Date(0), kind, ...storedRuleSpec(validated.value) });
      expect(parsed).toEqual({ ok: true, value: { id: 'r', instanceId: 'i', name: 'n', enabled: true, createdAt: 0, ...validated.value } });
    }
  });

  it.each<[string, string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['missing topicFilter', 'outflow', {}, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['unknown parent topic', 'outflow', { topicFilter: 'other/#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['leading wildcard', 'outflow', { topicFilter: '#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['leading single-level wildcard', 'outflow', { topicFilter: '+/up' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['bad filter', 'outflow', { topicFilter: 'telemetry/a#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['internal kafka topic', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'fleetmq.downlink' }, ['target.kafkaTopic']],
    ['bad kafka topic', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'a b' }, ['target.kafkaTopic']],
    ['payloadEncoding with raw', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'x', payloadEncoding: 'utf8' }, ['target.payloadEncoding']],
    ['payloadEncoding with explicit raw', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'x', format: 'raw', payloadEncoding: 'base64' }, ['target.payloadEncoding']],
    ['bad enums', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'x', keyStrategy: 'k', format: 'xml' }, ['target.format', 'target.keyStrategy']],
    ['property of another kind', 'outflow', { topicFilter: 'telemetry/#', kafkaTopic: 'y' }, { kafkaTopic: 'x' }, ['source.kafkaTopic']],
    [
      'every outflow problem at once',
      'outflow',
      { topicFilter: 'nope/#' },
      { kafkaTopic: 'fleetmq.uplink', keyStrategy: 'x', payloadEncoding: 'utf8', extra: 1 },
      ['source.topicFilter', 'target.extra', 'target.kafkaTopic', 'target.keyStrategy', 'target.payloadEncoding'],
    ],
    ['inflow placeholder in first level', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: '${key}/a' }, ['target.topicTemplate']],
    ['inflow placeholder inside first level', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd${key}/a' }, ['target.topicTemplate']],
    ['inflow unknown placeholder', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/${body}' }, ['target.topicTemplate']],
    ['inflow unclosed placeholder', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/${key' }, ['target.topicTemplate']],
    ['inflow wildcard', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/+' }, ['target.topicTemplate']],
    ['inflow unknown parent', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'x/${key}' }, ['target.topicTemplate']],
    ['inflow $ first level', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: '$SYS/x' }, ['target.topicTemplate']],
    ['inflow qos 2 and retain string', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/a', qos: 2, retain: 'yes' }, ['target.qos', 'target.retain']],
    ['inflow bad source, qos and template', 'inflow', { kafkaTopic: 'bad topic' }, { topicTemplate: '${key}/x', qos: 2 }, ['source.kafkaTopic', 'target.qos', 'target.topicTemplate']],
    ['inflow internal source', 'inflow', { kafkaTopic: 'fleetmq.uplink' }, { topicTemplate: 'cmd/a' }, ['source.kafkaTopic']],
    ['status bad group', 'status', { groupId: 'sensors' }, { kafkaTopic: 'p' }, ['source.groupId']],
    ['status keyStrategy topic', 'status', {}, { kafkaTopic: 'p', keyStrategy: 'topic' }, ['target.keyStrategy']],
    ['status missing target', 'status', {}, {}, ['target.kafkaTopic']],
  ])('refuses %s, naming the fields', (_name, kind, source, target, fields) => {
    const result = validateRuleDefinition(kind, source, target, atConsole);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field).sort()).toEqual(fields);
  });

  it('without parent topics (the router) any first level passes, other checks stay', () => {
    expect(validateRuleDefinition('outflow', { topicFilter: 'other/#' }, { kafkaTopic: 'x' }).ok).toBe(true);
    expect(validateRuleDefinition('outflow', { topicFilter: 'other/#' }, { kafkaTopic: 'x', payloadEncoding: 'utf8' }).ok).toBe(false);
  });
});
