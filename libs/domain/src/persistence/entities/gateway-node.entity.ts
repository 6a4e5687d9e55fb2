import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { GatewayNodeRow } from '../rows.js';

@Entity({ name: 'gateway_nodes' })
export class GatewayNodeEntity implements GatewayNodeRow {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 128 })
  nodeId!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamptz' })
  heartbeatAt!: Date;

  @Column({ name: 'mqtt_port', type: 'int' })
  mqttPort!: number;

  @Column({ type: 'int', default: 0 })
  connections!: number;
}
