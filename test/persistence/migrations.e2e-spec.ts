import type { DataSource } from 'typeorm';
import { GroupEntity, InstanceEntity, ParentTopicEntity, openDataSource } from '#domain/persistence';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

describe('persistence schema (real PostgreSQL)', () => {
  const schema = uniqueSchema('mig');
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchema(schema);
  });

  it('creates the anonymous default instance', async () => {
    const row = await ds.getRepository(InstanceEntity).findOneByOrFail({ id: 'default' });
    expect(row.anonymous).toBe(true);
  });

  it('is idempotent: a second start applies nothing', async () => {
    const again = await openDataSource(testDatabaseUrl(), { schema, poolSize: 1 });
    const applied = await again.query(`SELECT count(*)::int AS n FROM ${schema}.fleetmq_migrations`);
    await again.destroy();
    expect(applied[0].n).toBe(1);
  });

  it('removes an instance with its children', async () => {
    await ds.getRepository(InstanceEntity).insert({ id: 'fmq-casc01', name: 'cascade' });
    await ds.getRepository(ParentTopicEntity).insert({ instanceId: 'fmq-casc01', name: 'telemetry' });
    await ds.getRepository(GroupEntity).insert({ instanceId: 'fmq-casc01', groupId: 'GID_a' });
    await ds.getRepository(InstanceEntity).delete({ id: 'fmq-casc01' });
    expect(await ds.getRepository(ParentTopicEntity).countBy({ instanceId: 'fmq-casc01' })).toBe(0);
    expect(await ds.getRepository(GroupEntity).countBy({ instanceId: 'fmq-casc01' })).toBe(0);
  });

  it('refuses a child of an unknown instance', async () => {
    await expect(ds.getRepository(GroupEntity).insert({ instanceId: 'fmq-nope00', groupId: 'GID_a' })).rejects.toThrow(/foreign key/);
  });
});
