import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Permission } from '../../index.js';
import type { AccessKeyRow } from '../rows.js';

@Entity({ name: 'access_keys' })
@Index(['instanceId', 'createdAt'])
export class AccessKeyEntity implements AccessKeyRow {
  @PrimaryColumn({ name: 'access_key_id', type: 'varchar', length: 64 })
  accessKeyId!: string;

  @Column({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  /** SecretBox output (AES-256-GCM under the master key); the plain secret is shown once. */
  @Column({ name: 'secret_encrypted', type: 'text' })
  secretEncrypted!: string;

  @Column({ type: 'varchar', length: 8 })
  permission!: Permission;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ type: 'varchar', length: 512, default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
