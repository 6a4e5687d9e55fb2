import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RuleKind } from '../../index.js';
import type { RuleRow } from '../rows.js';

@Entity({ name: 'rules' })
@Index(['instanceId', 'name'], { unique: true })
export class RuleEntity implements RuleRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: RuleKind;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  /** Kind-specific source: outflow { topicFilter }, inflow { kafkaTopic }, status { groupId? }. */
  @Column({ type: 'jsonb' })
  source!: Record<string, unknown>;

  /** Kind-specific target: outflow/status { kafkaTopic, keyStrategy, format }, inflow { topicTemplate, qos, retain }. */
  @Column({ type: 'jsonb' })
  target!: Record<string, unknown>;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
