import { type DataSource, MoreThan, type Repository } from 'typeorm';
import { InstanceEntity } from '../entities/instance.entity.js';
import { toPage, type Page } from './page.js';
import type { InstanceRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export interface NewInstance {
  id: string;
  name: string;
  description: string;
}

export interface InstancePatch {
  name?: string;
  description?: string;
}

/** Port for the console; tests bind an in-memory class to this token. */
export abstract class InstanceRepository {
  abstract findById(id: string): Promise<InstanceRow | null>;
  abstract findByName(name: string): Promise<InstanceRow | null>;
  /** Ordered by ID; `afterId` continues after that ID. */
  abstract list(limit: number, afterId?: string): Promise<Page<InstanceRow>>;
  abstract create(instance: NewInstance): Promise<InstanceRow>;
  /** null when the instance does not exist. */
  abstract update(id: string, patch: InstancePatch): Promise<InstanceRow | null>;
  /** Removes the instance and, through FK cascades, all its children in one statement. */
  abstract delete(id: string): Promise<boolean>;
}

export class TypeOrmInstanceRepository extends InstanceRepository {
  private readonly repo: Repository<InstanceEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(InstanceEntity);
  }

  findById(id: string): Promise<InstanceRow | null> {
    return this.repo.findOneBy({ id }).then(toRowOrNull);
  }

  findByName(name: string): Promise<InstanceRow | null> {
    return this.repo.findOneBy({ name }).then(toRowOrNull);
  }

  async list(limit: number, afterId?: string): Promise<Page<InstanceRow>> {
    const rows = await this.repo.find({
      where: afterId === undefined ? {} : { id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows.map(toRow), limit, (r) => r.id);
  }

  async create(instance: NewInstance): Promise<InstanceRow> {
    await this.repo.insert({ ...instance, anonymous: false });
    return this.repo.findOneByOrFail({ id: instance.id }).then(toRow);
  }

  async update(id: string, patch: InstancePatch): Promise<InstanceRow | null> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length > 0) {
      const result = await this.repo.update({ id }, changes);
      if (result.affected === 0) return null;
    }
    return this.repo.findOneBy({ id }).then(toRowOrNull);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.repo.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
