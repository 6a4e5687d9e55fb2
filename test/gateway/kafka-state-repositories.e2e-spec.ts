import type { DataSource } from 'typeorm';
import { openDataSource, TypeOrmClientSessionRepository, TypeOrmGatewayNodeRepository, TypeOrmInstanceTrafficRepository } from '#domain/persistence';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
test('session epochs, batched updates, stale sweep, node heartbeat and traffic rows (real PostgreSQL)', async () => {
  const schema = uniqueSchema('rc');
  const ds: DataSource = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
  try {
    const s = new TypeOrmClientSessionRepository(ds);
    const n = new TypeOrmGatewayNodeRepository(ds);
    const t = new TypeOrmInstanceTrafficRepository(ds);
    const base = { instanceId: 'default', nodeId: 'n1', remoteAddress: '1.2.3.4', connectedSince: new Date(), keepSubscriptions: false };
    const r1 = await s.connectMany([{ ...base, clientId: 'a' }, { ...base, clientId: 'b' }, { ...base, instanceId: 'fmq-gone00', clientId: 'c' }]);
    expect(r1.map((r) => r.epoch)).toEqual([1, 1]);
    expect(await s.applyUpdates([{ instanceId: 'default', clientId: 'a', epoch: 1, online: true, subscriptions: [{ topic: 'x/#', qos: 1 }], disconnectedAt: null }])).toBe(1);
    expect(await s.connect({ ...base, clientId: 'a', keepSubscriptions: true })).toBe(2);
    expect((await s.find('default', 'a'))!.subscriptions).toEqual([{ topic: 'x/#', qos: 1 }]);
    expect(await s.connect({ ...base, clientId: 'a' })).toBe(3);
    expect((await s.find('default', 'a'))!.subscriptions).toEqual([]);
    expect(await s.applyUpdates([{ instanceId: 'default', clientId: 'a', epoch: 2, online: false, subscriptions: [], disconnectedAt: new Date() }])).toBe(0);
    await n.heartbeat({ nodeId: 'n1', startedAt: new Date(), mqttPort: 1, connections: 3 });
    expect(await s.markStaleOffline(1000)).toBe(0);
    await ds.query(`UPDATE ${schema}.gateway_nodes SET heartbeat_at = now() - interval '5 seconds'`);
    expect(await s.markStaleOffline(1000)).toBe(2);
    expect((await s.find('default', 'b'))!.online).toBe(false);
    await s.connect({ ...base, clientId: 'b' });
    await n.heartbeat({ nodeId: 'n1', startedAt: new Date(), mqttPort: 1, connections: 3 });
    expect(await s.markStaleOffline(1000)).toBe(0);
    expect(await s.markNodeOffline('n1')).toBe(1);
    await t.save([{ instanceId: 'default', nodeId: 'n1', messagesIn: 5, messagesOut: 2, rateIn: 1.5, rateOut: 0, connections: 1 }, { instanceId: 'fmq-gone00', nodeId: 'n1', messagesIn: 5, messagesOut: 2, rateIn: 1.5, rateOut: 0, connections: 1 }]);
    await t.save([{ instanceId: 'default', nodeId: 'n1', messagesIn: 7, messagesOut: 2, rateIn: 2, rateOut: 0, connections: 1 }]);
    expect(await t.totals('default', new Date(Date.now() - 5000))).toEqual({ messagesIn: 7, messagesOut: 2, rateIn: 2, rateOut: 0 });
    expect((await n.list())[0]!.connections).toBe(3);
  } finally {
    await ds.destroy();
    await dropSchema(schema);
  }
});
