import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DeviceCredentialRow } from '../rows.js';

@Entity({ name: 'device_credentials' })
export class DeviceCredentialEntity implements DeviceCredentialRow {
  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ name: 'device_access_key_id', type: 'varchar', length: 64, unique: true })
  deviceAccessKeyId!: string;

  /** SecretBox output under the master key. */
  @Column({ name: 'secret_encrypted', type: 'text' })
  secretEncrypted!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
