import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer.js';
import type { ClientSessionRow } from '../rows.js';

/** Snapshot of one client's MQTT session, written by the gateway node that holds it. */
@Entity({ name: 'client_sessions' })
@Index(['nodeId', 'online'])
export class ClientSessionEntity implements ClientSessionRow {
  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  clientId!: string;

  @Column({ name: 'node_id', type: 'varchar', length: 128 })
  nodeId!: string;

  @Column({ name: 'remote_address', type: 'varchar', length: 128, default: '' })
  remoteAddress!: string;

  @Column({ name: 'connected_since', type: 'timestamptz' })
  connectedSince!: Date;

  @Column({ name: 'disconnected_at', type: 'timestamptz', nullable: true })
  disconnectedAt!: Date | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  subscriptions!: Array<{ topic: string; qos: number }>;

  @Column({ type: 'boolean' })
  online!: boolean;

  /** Grows with each connect of this client, so presence consumers can order events. */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  epoch!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
