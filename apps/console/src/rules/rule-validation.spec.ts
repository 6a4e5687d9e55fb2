import type { RuleKind } from '#domain';
import { validateRule, type RuleContext } from './rule-validation.js';

const ctx: RuleContext = { parentTopics: new Set(['telemetry', 'cmd']), maxTopicLength: 128 };
type Case = [string, RuleKind, Record<string, unknown>, Record<string, unknown>, string[]];

describe('validateRule', () => {
  describe('valid rules get their defaults', () => {
    it('outflow: keyStrategy clientId, format raw; json adds payloadEncoding base64', () => {
      expect(validateRule('outflow', { topicFilter: 'telemetry/+/up' }, { kafkaTopic: 'data' }, ctx)).toEqual({
        ok: true,
        spec: { source: { topicFilter: 'telemetry/+/up' }, target: { kafkaTopic: 'data', keyStrategy: 'clientId', format: 'raw' } },
      });
      const json = validateRule('outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'data', format: 'json', keyStrategy: 'none' }, ctx);
      expect(json).toEqual({ ok: true, spec: { source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: 'data', keyStrategy: 'none', format: 'json', payloadEncoding: 'base64' } } });
    });

    it('inflow: qos 1, retain false; placeholders allowed after the first level', () => {
      expect(validateRule('inflow', { kafkaTopic: 'commands' }, { topicTemplate: 'cmd/${key}/${header.x-type}' }, ctx)).toEqual({
        ok: true,
        spec: { source: { kafkaTopic: 'commands' }, target: { topicTemplate: 'cmd/${key}/${header.x-type}', qos: 1, retain: false } },
      });
    });

    it('status: group optional, keyStrategy clientId', () => {
      expect(validateRule('status', {}, { kafkaTopic: 'presence' }, ctx)).toEqual({
        ok: true,
        spec: { source: {}, target: { kafkaTopic: 'presence', keyStrategy: 'clientId' } },
      });
    });

    it('the anonymous instance (no parent topics) accepts any first level', () => {
      expect(validateRule('outflow', { topicFilter: 'anything/#' }, { kafkaTopic: 'x' }, { ...ctx, parentTopics: null }).ok).toBe(true);
    });
  });

  const refused: Case[] = [
    ['missing topicFilter', 'outflow', {}, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['unknown parent topic', 'outflow', { topicFilter: 'other/#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['leading wildcard', 'outflow', { topicFilter: '#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['bad filter', 'outflow', { topicFilter: 'telemetry/a#' }, { kafkaTopic: 'x' }, ['source.topicFilter']],
    ['internal kafka topic', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'fleetmq.downlink' }, ['target.kafkaTopic']],
    ['bad kafka topic', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'a b' }, ['target.kafkaTopic']],
    ['payloadEncoding with raw', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'x', payloadEncoding: 'utf8' }, ['target.payloadEncoding']],
    ['bad enums', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: 'x', keyStrategy: 'k', format: 'xml' }, ['target.format', 'target.keyStrategy']],
    ['property of another kind', 'outflow', { topicFilter: 'telemetry/#', kafkaTopic: 'y' }, { kafkaTopic: 'x' }, ['source.kafkaTopic']],
    ['inflow placeholder in first level', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: '${key}/a' }, ['target.topicTemplate']],
    ['inflow unknown placeholder', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/${body}' }, ['target.topicTemplate']],
    ['inflow wildcard', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/+' }, ['target.topicTemplate']],
    ['inflow unknown parent', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'x/${key}' }, ['target.topicTemplate']],
    ['inflow qos 2 and retain string', 'inflow', { kafkaTopic: 'k' }, { topicTemplate: 'cmd/a', qos: 2, retain: 'yes' }, ['target.qos', 'target.retain']],
    ['inflow internal source', 'inflow', { kafkaTopic: 'fleetmq.uplink' }, { topicTemplate: 'cmd/a' }, ['source.kafkaTopic']],
    ['status bad group', 'status', { groupId: 'sensors' }, { kafkaTopic: 'p' }, ['source.groupId']],
    ['status keyStrategy topic', 'status', {}, { kafkaTopic: 'p', keyStrategy: 'topic' }, ['target.keyStrategy']],
    ['status missing target', 'status', {}, {}, ['target.kafkaTopic']],
  ];

  describe('refused rules name the fields', () => {
    it.each(refused)('%s', (_name, kind, source, target, fields) => {
      const result = validateRule(kind, source, target, ctx);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.map((e) => e.field).sort()).toEqual(fields);
    });
  });
});
