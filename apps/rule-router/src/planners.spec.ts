import { RuleSet, type Rule } from '#domain';
import { buildUplinkRecord, HEADERS, type ConsumedRecord } from '#messaging';
import { outflowPlanner } from './planners.js';
import type { RuleCounters } from './rule-counters.js';

const rule: Rule = {
  id: 'o1',
  instanceId: 'fmq-a',
  name: 'o1',
  enabled: true,
  createdAt: 0,
  kind: 'outflow',
  source: { topicFilter: 'telemetry/#' },
  target: { kafkaTopic: 'out', keyStrategy: 'clientId', format: 'raw', payloadEncoding: 'base64' },
};
const origin = { topic: 'fleetmq.uplink', partition: 0, offset: '0' };

function planner(rules: Rule[]) {
  const set = new RuleSet(rules);
  const counters = { matched: () => undefined } as unknown as RuleCounters;
  return outflowPlanner({ rules: () => set, counters, maxTopicLength: 256, onDuplicate: () => undefined });
}

const uplink = (instanceId: string, topic: string): ConsumedRecord => {
  const r = buildUplinkRecord({ instanceId, clientId: 'GID_a@@@d1', topic, qos: 1, retain: false, payload: Buffer.from('p') }, 'n');
  return { ...r, offset: '0', timestamp: '0' } as unknown as ConsumedRecord;
};
/** Only the instance header: decoding it would fail. */
const broken = (instanceId?: string): ConsumedRecord =>
  ({ offset: '0', timestamp: '0', key: Buffer.from('k'), value: Buffer.from('x'), headers: instanceId === undefined ? {} : { [HEADERS.instance]: Buffer.from(instanceId) } }) as unknown as ConsumedRecord;

describe('outflowPlanner', () => {
  it('routes a record of an instance with a matching rule', () => {
    const plan = planner([rule])(uplink('fmq-a', 'telemetry/t'), origin);
    expect(plan.kind === 'routes' && plan.routes.map((r) => r.topic)).toEqual(['out']);
  });

  it('does not decode the records of an instance without outflow rules', () => {
    expect(planner([rule])(broken('fmq-b'), origin)).toEqual({ kind: 'routes', routes: [] });
  });

  it('sends an undecodable record of an instance with rules, or of no instance, to the DLQ', () => {
    expect(planner([rule])(broken('fmq-a'), origin)).toMatchObject({ kind: 'dlq', reason: 'invalid-record' });
    expect(planner([])(broken(), origin)).toMatchObject({ kind: 'dlq', reason: 'invalid-record' });
  });
});
