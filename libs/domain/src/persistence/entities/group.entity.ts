import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { GroupRow } from '../rows.js';

@Entity({ name: 'groups' })
export class GroupEntity implements GroupRow {
  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 64 })
  groupId!: string;

  @Column({ type: 'varchar', length: 512, default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
