import type { DataSource, Repository } from 'typeorm';
import { ClientSessionEntity } from '../entities/client-session.entity.js';

export interface SessionSubscription {
  topic: string;
  qos: number;
}

export interface SessionConnect {
  instanceId: string;
  clientId: string;
  nodeId: string;
  remoteAddress: string;
  connectedSince: Date;
  /** A persistent session (clean=false) keeps the subscriptions stored for it. */
  keepSubscriptions: boolean;
}

/** Latest known state of one connection, written only while the row still belongs to that connect (epoch). */
export interface SessionUpdate {
  instanceId: string;
  clientId: string;
  epoch: number;
  online: boolean;
  subscriptions: SessionSubscription[];
  disconnectedAt: Date | null;
}

/** Gateway nodes write, the console reads: see DESIGN.md "Cross-process state". */
export abstract class ClientSessionRepository {
  /**
   * Marks the client online on this node and returns its new connect epoch: one more than the
   * previous connect of that client on any node (row lock), so it grows across nodes.
   * null when the instance no longer exists.
   */
  abstract connect(session: SessionConnect): Promise<number | null>;
  /** Applies many updates in one statement; an update whose epoch is outdated (a newer connect won) is skipped. */
  abstract applyUpdates(updates: readonly SessionUpdate[]): Promise<number>;
  abstract find(instanceId: string, clientId: string): Promise<ClientSessionEntity | null>;
  /** Marks every online session of the node offline (graceful shutdown). */
  abstract markNodeOffline(nodeId: string): Promise<number>;
  /**
   * Marks offline every online session whose node has no heartbeat newer than `staleAfterMs`
   * (database clock), including nodes that never wrote one.
   */
  abstract markStaleOffline(staleAfterMs: number): Promise<number>;
  abstract countOnline(instanceId: string): Promise<number>;
}

export class TypeOrmClientSessionRepository extends ClientSessionRepository {
  private readonly repo: Repository<ClientSessionEntity>;
  private readonly table: string;
  private readonly nodesTable: string;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(ClientSessionEntity);
    this.table = this.repo.metadata.tablePath;
    const nodesMeta = dataSource.entityMetadatas.find((m) => m.tableName === 'gateway_nodes');
    this.nodesTable = nodesMeta?.tablePath ?? 'gateway_nodes';
  }

  async connect(s: SessionConnect): Promise<number | null> {
    // INSERT ... SELECT with an existence check, so a deleted instance yields no row instead of an FK error.
    const rows: Array<{ epoch: string }> = await this.dataSource.query(
      `INSERT INTO ${this.table} AS s
         (instance_id, client_id, node_id, remote_address, connected_since, disconnected_at, subscriptions, online, epoch, updated_at)
       SELECT $1, $2, $3, $4, $5, NULL, '[]'::jsonb, true, 1, now()
       WHERE EXISTS (SELECT 1 FROM ${this.instancesTable()} WHERE id = $1)
       ON CONFLICT (instance_id, client_id) DO UPDATE SET
         node_id = EXCLUDED.node_id,
         remote_address = EXCLUDED.remote_address,
         connected_since = EXCLUDED.connected_since,
         disconnected_at = NULL,
         subscriptions = CASE WHEN $6::boolean THEN s.subscriptions ELSE '[]'::jsonb END,
         online = true,
         epoch = s.epoch + 1,
         updated_at = now()
       RETURNING epoch`,
      [s.instanceId, s.clientId, s.nodeId, s.remoteAddress.slice(0, 128), s.connectedSince, s.keepSubscriptions],
    );
    return rows.length === 0 ? null : Number(rows[0]!.epoch);
  }

  async applyUpdates(updates: readonly SessionUpdate[]): Promise<number> {
    if (updates.length === 0) return 0;
    const payload = JSON.stringify(
      updates.map((u) => ({
        instance_id: u.instanceId,
        client_id: u.clientId,
        epoch: u.epoch,
        online: u.online,
        subscriptions: u.subscriptions,
        disconnected_at: u.disconnectedAt?.toISOString() ?? null,
      })),
    );
    // One parameter whatever the batch size: the rows travel as a JSON array.
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.table} AS s SET
         online = v.online,
         subscriptions = v.subscriptions,
         disconnected_at = v.disconnected_at,
         updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS v(instance_id text, client_id text, epoch bigint, online boolean,
                                              subscriptions jsonb, disconnected_at timestamptz)
       WHERE s.instance_id = v.instance_id AND s.client_id = v.client_id AND s.epoch = v.epoch`,
      [payload],
    );
    return result[1];
  }

  find(instanceId: string, clientId: string): Promise<ClientSessionEntity | null> {
    return this.repo.findOneBy({ instanceId, clientId });
  }

  async markNodeOffline(nodeId: string): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.table} SET online = false, disconnected_at = now(), updated_at = now()
       WHERE node_id = $1 AND online`,
      [nodeId],
    );
    return result[1];
  }

  async markStaleOffline(staleAfterMs: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.table} AS s SET online = false, disconnected_at = now(), updated_at = now()
       WHERE s.online AND NOT EXISTS (
         SELECT 1 FROM ${this.nodesTable} AS n
         WHERE n.node_id = s.node_id AND n.heartbeat_at >= now() - ($1::double precision * interval '1 millisecond'))`,
      [staleAfterMs],
    );
    return result[1];
  }

  countOnline(instanceId: string): Promise<number> {
    return this.repo.countBy({ instanceId, online: true });
  }

  private instancesTable(): string {
    return this.dataSource.entityMetadatas.find((m) => m.tableName === 'instances')?.tablePath ?? 'instances';
  }
}
