import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ParentTopicRow } from '../rows.js';

@Entity({ name: 'parent_topics' })
export class ParentTopicEntity implements ParentTopicRow {
  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 512, default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
