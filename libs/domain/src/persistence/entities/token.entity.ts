import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TokenAction } from '../../index.js';
import type { TokenRow } from '../rows.js';

@Entity({ name: 'tokens' })
@Index(['instanceId', 'expiresAt'])
export class TokenEntity implements TokenRow {
  /** SHA-256 of the token: the token itself is never stored. */
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @Column({ name: 'access_key_id', type: 'varchar', length: 64 })
  accessKeyId!: string;

  @Column({ type: 'text', array: true })
  resources!: string[];

  @Column({ type: 'varchar', length: 2 })
  actions!: TokenAction;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
