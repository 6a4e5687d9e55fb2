import type { DataSource } from 'typeorm';
import { InstanceEntity, RuleEntity, TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository, openDataSource } from '#domain/persistence';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

describe('rule router repositories (real PostgreSQL)', () => {
  const schema = uniqueSchema('rrepo');
  let ds: DataSource;
  let ruleA: string;
  let ruleB: string;

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
    await ds.getRepository(InstanceEntity).insert({ id: 'fmq-rrepo01', name: 'r' });
    const rules = ds.getRepository(RuleEntity);
    const target = { kafkaTopic: 'orders' };
    ruleA = (await rules.save(rules.create({ instanceId: 'fmq-rrepo01', kind: 'outflow', name: 'a', source: { topicFilter: '#' }, target, enabled: true }))).id;
    ruleB = (await rules.save(rules.create({ instanceId: 'fmq-rrepo01', kind: 'status', name: 'b', source: {}, target, enabled: false }))).id;
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchema(schema);
  });

  it('loads only enabled rules', async () => {
    const rows = await new TypeOrmRuleSourceRepository(ds).loadEnabled();
    expect(rows).toEqual([{ id: ruleA, instanceId: 'fmq-rrepo01', name: 'a', kind: 'outflow', source: { topicFilter: '#' }, target: { kafkaTopic: 'orders' }, enabled: true, createdAt: expect.any(Date) }]);
  });

  it('replaces a router row per rule, skips deleted rules, keeps other routers apart', async () => {
    const counters = new TypeOrmRuleCounterRepository(ds);
    await counters.saveTotals('r1', [{ ruleId: ruleA, matched: 5, routed: 4, failed: 1 }]);
    await counters.saveTotals('r1', [
      { ruleId: ruleA, matched: 7, routed: 6, failed: 1 },
      { ruleId: ruleB, matched: 1, routed: 1, failed: 0 },
      { ruleId: '00000000-0000-4000-8000-000000000000', matched: 9, routed: 9, failed: 0 },
    ]);
    await counters.saveTotals('r2', [{ ruleId: ruleA, matched: 2, routed: 2, failed: 0 }]);
    const r1 = await counters.loadTotals('r1');
    expect(r1.sort((x, y) => x.matched - y.matched)).toEqual([
      { ruleId: ruleB, matched: 1, routed: 1, failed: 0 },
      { ruleId: ruleA, matched: 7, routed: 6, failed: 1 },
    ]);
    expect(await counters.loadTotals('r2')).toEqual([{ ruleId: ruleA, matched: 2, routed: 2, failed: 0 }]);
    await counters.saveTotals('r3', []);
    expect(await counters.loadTotals('r3')).toEqual([]);
  });
});
