import type { DataSource, Repository } from 'typeorm';
import type { StoredRule } from '../../index.js';
import { RuleEntity } from '../entities/rule.entity.js';

/** What a rule router reads: the enabled rules of every instance, loaded whole on each reload. */
export abstract class RuleSourceRepository {
  abstract loadEnabled(): Promise<StoredRule[]>;
}

export class TypeOrmRuleSourceRepository extends RuleSourceRepository {
  private readonly repo: Repository<RuleEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(RuleEntity);
  }

  async loadEnabled(): Promise<StoredRule[]> {
    const rows = await this.repo.find({
      select: { id: true, instanceId: true, name: true, kind: true, source: true, target: true, enabled: true, createdAt: true },
      where: { enabled: true },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map((r) => ({ id: r.id, instanceId: r.instanceId, name: r.name, kind: r.kind, source: r.source, target: r.target, enabled: r.enabled, createdAt: r.createdAt }));
  }
}
