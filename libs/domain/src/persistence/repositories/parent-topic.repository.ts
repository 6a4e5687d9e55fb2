import { type DataSource, MoreThan, type Repository } from 'typeorm';
import { ParentTopicEntity } from '../entities/parent-topic.entity.js';
import { toPage, type Page } from './page.js';
import type { ParentTopicRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export abstract class ParentTopicRepository {
  abstract find(instanceId: string, name: string): Promise<ParentTopicRow | null>;
  /** Every parent topic name of the instance (small: a handful per instance). */
  abstract names(instanceId: string): Promise<string[]>;
  abstract list(instanceId: string, limit: number, afterName?: string): Promise<Page<ParentTopicRow>>;
  abstract create(topic: { instanceId: string; name: string; description: string }): Promise<ParentTopicRow>;
  abstract delete(instanceId: string, name: string): Promise<boolean>;
}

export class TypeOrmParentTopicRepository extends ParentTopicRepository {
  private readonly repo: Repository<ParentTopicEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(ParentTopicEntity);
  }

  find(instanceId: string, name: string): Promise<ParentTopicRow | null> {
    return this.repo.findOneBy({ instanceId, name }).then(toRowOrNull);
  }

  async names(instanceId: string): Promise<string[]> {
    const rows = await this.repo.find({ where: { instanceId }, select: { name: true } });
    return rows.map((r) => r.name);
  }

  async list(instanceId: string, limit: number, afterName?: string): Promise<Page<ParentTopicRow>> {
    const rows = await this.repo.find({
      where: afterName === undefined ? { instanceId } : { instanceId, name: MoreThan(afterName) },
      order: { name: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows.map(toRow), limit, (r) => r.name);
  }

  async create(topic: { instanceId: string; name: string; description: string }): Promise<ParentTopicRow> {
    await this.repo.insert(topic);
    return this.repo.findOneByOrFail({ instanceId: topic.instanceId, name: topic.name }).then(toRow);
  }

  async delete(instanceId: string, name: string): Promise<boolean> {
    const result = await this.repo.delete({ instanceId, name });
    return (result.affected ?? 0) > 0;
  }
}
