import type { DataSource } from 'typeorm';
import { openDataSource, TypeOrmGatewayNodeRepository, TypeOrmGroupRepository, TypeOrmInstanceRepository } from '#domain/persistence';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

/** A plain object: what a repository port hands out, never a TypeORM entity instance. */
const isPlainRow = (value: unknown): boolean => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

describe('repository ports return plain rows (real PostgreSQL)', () => {
  const schema = uniqueSchema('rows');
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchema(schema);
  });

  it('finds, lists, creates and updates as plain rows with every column', async () => {
    const instances = new TypeOrmInstanceRepository(ds);
    const created = await instances.create({ id: 'fmq-rows01', name: 'rows', description: 'plain' });
    expect(isPlainRow(created)).toBe(true);
    expect(Object.keys(created).sort()).toEqual(['anonymous', 'createdAt', 'description', 'id', 'name', 'updatedAt']);
    expect(created).toMatchObject({ id: 'fmq-rows01', name: 'rows', description: 'plain', anonymous: false });

    const found = await instances.findById('default');
    expect(isPlainRow(found)).toBe(true);
    expect(found).toMatchObject({ id: 'default', anonymous: true });
    expect(await instances.findById('fmq-none00')).toBeNull();

    const page = await instances.list(10);
    expect(page.items.map((i) => i.id).sort()).toEqual(['default', 'fmq-rows01']);
    expect(page.items.every(isPlainRow)).toBe(true);

    const updated = await instances.update('fmq-rows01', { description: 'changed' });
    expect(isPlainRow(updated)).toBe(true);
    expect(updated?.description).toBe('changed');

    const group = await new TypeOrmGroupRepository(ds).create({ instanceId: 'fmq-rows01', groupId: 'GID_rows', description: '' });
    expect(isPlainRow(group)).toBe(true);
    const nodes = await new TypeOrmGatewayNodeRepository(ds).list();
    expect(nodes.every(isPlainRow)).toBe(true);
  });
});
