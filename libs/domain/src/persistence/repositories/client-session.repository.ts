import type { DataSource, Repository } from 'typeorm';
import { ClientSessionEntity } from '../entities/client-session.entity.js';
import { GatewayNodeEntity } from '../entities/gateway-node.entity.js';
import { InstanceEntity } from '../entities/instance.entity.js';
import type { ClientSessionRow } from '../rows.js';
import { toRowOrNull } from './row-mapper.js';

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

export interface ConnectedEpoch {
  instanceId: string;
  clientId: string;
  epoch: number;
}

/** Latest known state of one connection, written only while the row still belongs to that connect (epoch). */
export interface SessionUpdate {
  instanceId: string;
  clientId: string;
  epoch: number;
  online: boolean;
  /** null: leave the stored list as it is (nothing known yet, e.g. a resumed persistent session). */
  subscriptions: SessionSubscription[] | null;
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
  /**
   * `connect` for many clients in one statement (a connect storm costs one round trip per batch).
   * A client appearing twice must be split across calls. Clients of deleted instances are absent from the result.
   */
  abstract connectMany(sessions: readonly SessionConnect[]): Promise<ConnectedEpoch[]>;
  /** Applies many updates in one statement; an update whose epoch is outdated (a newer connect won) is skipped. */
  abstract applyUpdates(updates: readonly SessionUpdate[]): Promise<number>;
  abstract find(instanceId: string, clientId: string): Promise<ClientSessionRow | null>;
  /** Marks every online session of the node offline (graceful shutdown). */
  abstract markNodeOffline(nodeId: string): Promise<number>;
  /**
   * Marks offline every online session of a node whose heartbeat is older than `staleAfterMs`
   * (database clock). Nodes write their row before accepting clients and mark their sessions
   * offline before removing it, so every session's node has a row.
   */
  abstract markStaleOffline(staleAfterMs: number): Promise<number>;
  abstract countOnline(instanceId: string): Promise<number>;
}

export class TypeOrmClientSessionRepository extends ClientSessionRepository {
  private readonly repo: Repository<ClientSessionEntity>;
  private readonly table: string;
  private readonly nodesTable: string;
  private readonly instancesTable: string;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(ClientSessionEntity);
    this.table = this.repo.metadata.tablePath;
    this.nodesTable = dataSource.getRepository(GatewayNodeEntity).metadata.tablePath;
    this.instancesTable = dataSource.getRepository(InstanceEntity).metadata.tablePath;
  }

  async connect(s: SessionConnect): Promise<number | null> {
    const [row] = await this.connectMany([s]);
    return row?.epoch ?? null;
  }

  async connectMany(sessions: readonly SessionConnect[]): Promise<ConnectedEpoch[]> {
    if (sessions.length === 0) return [];
    const payload = JSON.stringify(
      sessions.map((s) => ({
        instance_id: s.instanceId,
        client_id: s.clientId,
        node_id: s.nodeId,
        remote_address: s.remoteAddress.slice(0, 128),
        connected_since: s.connectedSince.toISOString(),
        keep: s.keepSubscriptions,
      })),
    );
    // The existence check turns a deleted instance into a missing row instead of an FK error failing the batch;
    // the row lock of ON CONFLICT makes `epoch + 1` monotonic across nodes.
    const rows: Array<{ instance_id: string; client_id: string; epoch: string }> = await this.dataSource.query(
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(instance_id text, client_id text, node_id text,
                                                         remote_address text, connected_since timestamptz, keep boolean))
       INSERT INTO ${this.table} AS s
         (instance_id, client_id, node_id, remote_address, connected_since, disconnected_at, subscriptions, online, epoch, updated_at)
       SELECT v.instance_id, v.client_id, v.node_id, v.remote_address, v.connected_since, NULL, '[]'::jsonb, true, 1, now()
       FROM v WHERE EXISTS (SELECT 1 FROM ${this.instancesTable} AS i WHERE i.id = v.instance_id)
       ON CONFLICT (instance_id, client_id) DO UPDATE SET
         node_id = EXCLUDED.node_id,
         remote_address = EXCLUDED.remote_address,
         connected_since = EXCLUDED.connected_since,
         disconnected_at = NULL,
         subscriptions = CASE
           WHEN (SELECT v.keep FROM v WHERE v.instance_id = EXCLUDED.instance_id AND v.client_id = EXCLUDED.client_id)
           THEN s.subscriptions ELSE '[]'::jsonb END,
         online = true,
         epoch = s.epoch + 1,
         updated_at = now()
       RETURNING instance_id, client_id, epoch`,
      [payload],
    );
    return rows.map((r) => ({ instanceId: r.instance_id, clientId: r.client_id, epoch: Number(r.epoch) }));
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
         subscriptions = COALESCE(v.subscriptions, s.subscriptions),
         disconnected_at = v.disconnected_at,
         updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS v(instance_id text, client_id text, epoch bigint, online boolean,
                                              subscriptions jsonb, disconnected_at timestamptz)
       WHERE s.instance_id = v.instance_id AND s.client_id = v.client_id AND s.epoch = v.epoch`,
      [payload],
    );
    return result[1];
  }

  find(instanceId: string, clientId: string): Promise<ClientSessionRow | null> {
    return this.repo.findOneBy({ instanceId, clientId }).then(toRowOrNull);
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
    // Driven by the few node rows, then the (node_id, online) index: no scan of all sessions.
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.table} AS s SET online = false, disconnected_at = now(), updated_at = now()
       FROM ${this.nodesTable} AS n
       WHERE s.node_id = n.node_id AND s.online
         AND n.heartbeat_at < now() - ($1::double precision * interval '1 millisecond')`,
      [staleAfterMs],
    );
    return result[1];
  }

  countOnline(instanceId: string): Promise<number> {
    return this.repo.countBy({ instanceId, online: true });
  }

}
