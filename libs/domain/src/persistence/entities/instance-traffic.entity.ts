import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer.js';

/** Per-node message counters of one instance, flushed by each gateway node; the console sums live nodes. */
@Entity({ name: 'instance_traffic' })
export class InstanceTrafficEntity {
  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 32 })
  instanceId!: string;

  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 128 })
  nodeId!: string;

  @Column({ name: 'messages_in', type: 'bigint', default: 0, transformer: bigintAsNumber })
  messagesIn!: number;

  @Column({ name: 'messages_out', type: 'bigint', default: 0, transformer: bigintAsNumber })
  messagesOut!: number;

  /** Messages per second over the node's last flush interval. */
  @Column({ name: 'rate_in', type: 'double precision', default: 0 })
  rateIn!: number;

  @Column({ name: 'rate_out', type: 'double precision', default: 0 })
  rateOut!: number;

  @Column({ type: 'int', default: 0 })
  connections!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
