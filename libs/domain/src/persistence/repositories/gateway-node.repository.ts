import type { DataSource, Repository } from 'typeorm';
import { GatewayNodeEntity } from '../entities/gateway-node.entity.js';
import type { GatewayNodeRow } from '../rows.js';
import { toRow } from './row-mapper.js';

export interface NodeHeartbeat {
  nodeId: string;
  startedAt: Date;
  mqttPort: number;
  connections: number;
}

export abstract class GatewayNodeRepository {
  abstract list(): Promise<GatewayNodeRow[]>;
  /** Creates or refreshes the node's row; heartbeat_at is the database clock, so nodes' clocks need not agree. */
  abstract heartbeat(node: NodeHeartbeat): Promise<void>;
  /** Graceful shutdown: the node leaves the list at once instead of going stale. */
  abstract remove(nodeId: string): Promise<void>;
}

export class TypeOrmGatewayNodeRepository extends GatewayNodeRepository {
  private readonly repo: Repository<GatewayNodeEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(GatewayNodeEntity);
  }

  list(): Promise<GatewayNodeRow[]> {
    return this.repo.find({ order: { nodeId: 'ASC' } }).then((rows) => rows.map(toRow));
  }

  async heartbeat(node: NodeHeartbeat): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.repo.metadata.tablePath} (node_id, started_at, heartbeat_at, mqtt_port, connections)
       VALUES ($1, $2, now(), $3, $4)
       ON CONFLICT (node_id) DO UPDATE SET
         started_at = EXCLUDED.started_at, heartbeat_at = now(),
         mqtt_port = EXCLUDED.mqtt_port, connections = EXCLUDED.connections`,
      [node.nodeId, node.startedAt, node.mqttPort, node.connections],
    );
  }

  async remove(nodeId: string): Promise<void> {
    await this.repo.delete({ nodeId });
  }
}
