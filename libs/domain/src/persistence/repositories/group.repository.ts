import { type DataSource, MoreThan, type Repository } from 'typeorm';
import { GroupEntity } from '../entities/group.entity.js';
import { toPage, type Page } from './page.js';
import type { GroupRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export abstract class GroupRepository {
  abstract find(instanceId: string, groupId: string): Promise<GroupRow | null>;
  abstract list(instanceId: string, limit: number, afterGroupId?: string): Promise<Page<GroupRow>>;
  abstract create(group: { instanceId: string; groupId: string; description: string }): Promise<GroupRow>;
  abstract delete(instanceId: string, groupId: string): Promise<boolean>;
}

export class TypeOrmGroupRepository extends GroupRepository {
  private readonly repo: Repository<GroupEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(GroupEntity);
  }

  find(instanceId: string, groupId: string): Promise<GroupRow | null> {
    return this.repo.findOneBy({ instanceId, groupId }).then(toRowOrNull);
  }

  async list(instanceId: string, limit: number, afterGroupId?: string): Promise<Page<GroupRow>> {
    const rows = await this.repo.find({
      where: afterGroupId === undefined ? { instanceId } : { instanceId, groupId: MoreThan(afterGroupId) },
      order: { groupId: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows.map(toRow), limit, (r) => r.groupId);
  }

  async create(group: { instanceId: string; groupId: string; description: string }): Promise<GroupRow> {
    await this.repo.insert(group);
    return this.repo.findOneByOrFail({ instanceId: group.instanceId, groupId: group.groupId }).then(toRow);
  }

  async delete(instanceId: string, groupId: string): Promise<boolean> {
    const result = await this.repo.delete({ instanceId, groupId });
    return (result.affected ?? 0) > 0;
  }
}
