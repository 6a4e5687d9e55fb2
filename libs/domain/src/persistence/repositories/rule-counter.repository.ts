import type { DataSource, Repository } from 'typeorm';
import { RuleCounterEntity } from '../entities/rule-counter.entity.js';
import { RuleEntity } from '../entities/rule.entity.js';

export interface RuleCounterTotals {
  ruleId: string;
  matched: number;
  routed: number;
  failed: number;
}

/** Per-router rule counters (DESIGN.md "Cross-process state"); the console sums the rows. */
export abstract class RuleCounterRepository {
  /**
   * Writes this router's totals, replacing its previous row per rule: a retried or repeated flush
   * never counts twice. Rules deleted meanwhile are skipped.
   */
  abstract saveTotals(routerId: string, totals: readonly RuleCounterTotals[]): Promise<void>;
  /** This router's stored totals, so a restart under the same router ID continues from them. */
  abstract loadTotals(routerId: string): Promise<RuleCounterTotals[]>;
}

export class TypeOrmRuleCounterRepository extends RuleCounterRepository {
  private readonly repo: Repository<RuleCounterEntity>;
  private readonly table: string;
  private readonly rulesTable: string;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(RuleCounterEntity);
    this.table = this.repo.metadata.tablePath;
    this.rulesTable = dataSource.getRepository(RuleEntity).metadata.tablePath;
  }

  async saveTotals(routerId: string, totals: readonly RuleCounterTotals[]): Promise<void> {
    if (totals.length === 0) return;
    const rows = JSON.stringify(totals.map((t) => ({ rule_id: t.ruleId, matched: t.matched, routed: t.routed, failed: t.failed })));
    await this.dataSource.query(
      `INSERT INTO ${this.table} AS c (rule_id, router_id, matched, routed, failed, updated_at)
       SELECT x.rule_id, $1, x.matched, x.routed, x.failed, now()
         FROM jsonb_to_recordset($2::jsonb) AS x(rule_id uuid, matched bigint, routed bigint, failed bigint)
        WHERE EXISTS (SELECT 1 FROM ${this.rulesTable} r WHERE r.id = x.rule_id)
       ON CONFLICT (rule_id, router_id) DO UPDATE SET
         matched = EXCLUDED.matched, routed = EXCLUDED.routed, failed = EXCLUDED.failed, updated_at = now()`,
      [routerId, rows],
    );
  }

  async loadTotals(routerId: string): Promise<RuleCounterTotals[]> {
    const rows = await this.repo.findBy({ routerId });
    return rows.map((r) => ({ ruleId: r.ruleId, matched: r.matched, routed: r.routed, failed: r.failed }));
  }
}
