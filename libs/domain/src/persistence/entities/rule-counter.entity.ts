import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer.js';

/** Per-router totals of one rule; the console sums the rows of all routers. */
@Entity({ name: 'rule_counters' })
export class RuleCounterEntity {
  @PrimaryColumn({ name: 'rule_id', type: 'uuid' })
  ruleId!: string;

  @PrimaryColumn({ name: 'router_id', type: 'varchar', length: 128 })
  routerId!: string;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  matched!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  routed!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  failed!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
