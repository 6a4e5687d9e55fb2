import { type DataSource, MoreThan, type Repository } from 'typeorm';
import type { Permission } from '../../index.js';
import { AccessKeyEntity } from '../entities/access-key.entity.js';
import { toPage, type Page } from './page.js';
import type { AccessKeyRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export interface NewAccessKey {
  accessKeyId: string;
  instanceId: string;
  secretEncrypted: string;
  permission: Permission;
  description: string;
}

export abstract class AccessKeyRepository {
  /** Looks a key up by its globally unique ID, whatever its instance. */
  abstract find(accessKeyId: string): Promise<AccessKeyRow | null>;
  abstract list(instanceId: string, limit: number, afterKeyId?: string): Promise<Page<AccessKeyRow>>;
  abstract create(key: NewAccessKey): Promise<AccessKeyRow>;
  abstract update(accessKeyId: string, patch: { enabled?: boolean; description?: string }): Promise<AccessKeyRow | null>;
  abstract delete(accessKeyId: string): Promise<boolean>;
}

export class TypeOrmAccessKeyRepository extends AccessKeyRepository {
  private readonly repo: Repository<AccessKeyEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(AccessKeyEntity);
  }

  find(accessKeyId: string): Promise<AccessKeyRow | null> {
    return this.repo.findOneBy({ accessKeyId }).then(toRowOrNull);
  }

  async list(instanceId: string, limit: number, afterKeyId?: string): Promise<Page<AccessKeyRow>> {
    const rows = await this.repo.find({
      where: afterKeyId === undefined ? { instanceId } : { instanceId, accessKeyId: MoreThan(afterKeyId) },
      order: { accessKeyId: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows.map(toRow), limit, (r) => r.accessKeyId);
  }

  async create(key: NewAccessKey): Promise<AccessKeyRow> {
    await this.repo.insert({ ...key, enabled: true });
    return this.repo.findOneByOrFail({ accessKeyId: key.accessKeyId }).then(toRow);
  }

  async update(accessKeyId: string, patch: { enabled?: boolean; description?: string }): Promise<AccessKeyRow | null> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length > 0) {
      const result = await this.repo.update({ accessKeyId }, changes);
      if (result.affected === 0) return null;
    }
    return this.repo.findOneBy({ accessKeyId }).then(toRowOrNull);
  }

  async delete(accessKeyId: string): Promise<boolean> {
    const result = await this.repo.delete({ accessKeyId });
    return (result.affected ?? 0) > 0;
  }
}
