import { type DataSource, MoreThan, type Repository } from 'typeorm';
import { RuleCounterEntity } from '../entities/rule-counter.entity.js';
import { RuleEntity } from '../entities/rule.entity.js';
import { toPage, type Page } from './page.js';
import type { RuleRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export type NewRule = Omit<RuleRow, 'id' | 'createdAt' | 'updatedAt'>;

export type RulePatch = Partial<Pick<NewRule, 'name' | 'source' | 'target' | 'enabled'>>;

export interface RuleTotals {
  matched: number;
  routed: number;
  failed: number;
}

export abstract class RuleRepository {
  abstract find(instanceId: string, ruleId: string): Promise<RuleRow | null>;
  abstract list(instanceId: string, limit: number, afterId?: string): Promise<Page<RuleRow>>;
  abstract create(rule: NewRule): Promise<RuleRow>;
  abstract update(instanceId: string, ruleId: string, patch: RulePatch): Promise<RuleRow | null>;
  abstract delete(instanceId: string, ruleId: string): Promise<boolean>;
  /** Counters of every router summed. */
  abstract totals(ruleId: string): Promise<RuleTotals>;
}

export class TypeOrmRuleRepository extends RuleRepository {
  private readonly repo: Repository<RuleEntity>;
  private readonly counters: Repository<RuleCounterEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(RuleEntity);
    this.counters = dataSource.getRepository(RuleCounterEntity);
  }

  find(instanceId: string, ruleId: string): Promise<RuleRow | null> {
    return this.repo.findOneBy({ instanceId, id: ruleId }).then(toRowOrNull);
  }

  async list(instanceId: string, limit: number, afterId?: string): Promise<Page<RuleRow>> {
    const rows = await this.repo.find({
      where: afterId === undefined ? { instanceId } : { instanceId, id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    return toPage(rows.map(toRow), limit, (r) => r.id);
  }

  async create(rule: NewRule): Promise<RuleRow> {
    const saved = await this.repo.save(this.repo.create(rule));
    return this.repo.findOneByOrFail({ id: saved.id }).then(toRow);
  }

  async update(instanceId: string, ruleId: string, patch: RulePatch): Promise<RuleRow | null> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length > 0) {
      const result = await this.repo.update({ instanceId, id: ruleId }, changes);
      if (result.affected === 0) return null;
    }
    return this.repo.findOneBy({ instanceId, id: ruleId }).then(toRowOrNull);
  }

  async delete(instanceId: string, ruleId: string): Promise<boolean> {
    const result = await this.repo.delete({ instanceId, id: ruleId });
    return (result.affected ?? 0) > 0;
  }

  async totals(ruleId: string): Promise<RuleTotals> {
    const row = await this.counters
      .createQueryBuilder('c')
      .select('COALESCE(SUM(c.matched), 0)', 'matched')
      .addSelect('COALESCE(SUM(c.routed), 0)', 'routed')
      .addSelect('COALESCE(SUM(c.failed), 0)', 'failed')
      .where('c.rule_id = :ruleId', { ruleId })
      .getRawOne<{ matched: string; routed: string; failed: string }>();
    return { matched: Number(row?.matched ?? 0), routed: Number(row?.routed ?? 0), failed: Number(row?.failed ?? 0) };
  }
}
