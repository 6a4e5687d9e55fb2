import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { InstanceRow } from '../rows.js';

@Entity({ name: 'instances' })
export class InstanceEntity implements InstanceRow {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 128, unique: true })
  name!: string;

  @Column({ type: 'varchar', length: 512, default: '' })
  description!: string;

  /** The `default` instance: anonymous clients, no parent-topic or group checks. */
  @Column({ type: 'boolean', default: false })
  anonymous!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
