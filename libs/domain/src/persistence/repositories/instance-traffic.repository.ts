import type { DataSource, Repository } from 'typeorm';
import { InstanceEntity } from '../entities/instance.entity.js';
import { InstanceTrafficEntity } from '../entities/instance-traffic.entity.js';

export interface TrafficTotals {
  /** Sum of the per-node rates of rows fresh enough to be trusted. */
  rateIn: number;
  rateOut: number;
  /** Totals over every row, fresh or not. */
  messagesIn: number;
  messagesOut: number;
}

/** One node's counters for one instance, as of its last flush. */
export interface TrafficSample {
  instanceId: string;
  nodeId: string;
  messagesIn: number;
  messagesOut: number;
  rateIn: number;
  rateOut: number;
  connections: number;
}

export abstract class InstanceTrafficRepository {
  abstract totals(instanceId: string, freshSince: Date): Promise<TrafficTotals>;
  /** Messages/s in and out over every instance and node, from rows updated since `freshSince`. */
  abstract fleetRates(freshSince: Date): Promise<{ rateIn: number; rateOut: number }>;
  /** Messages/s in and out of each node over every instance, from rows updated since `freshSince`. */
  abstract nodeRates(freshSince: Date): Promise<Map<string, { rateIn: number; rateOut: number }>>;
  /** Upserts many rows in one statement; rows of instances deleted meanwhile are skipped. */
  abstract save(samples: readonly TrafficSample[]): Promise<void>;
}

export class TypeOrmInstanceTrafficRepository extends InstanceTrafficRepository {
  private readonly repo: Repository<InstanceTrafficEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(InstanceTrafficEntity);
  }

  async save(samples: readonly TrafficSample[]): Promise<void> {
    if (samples.length === 0) return;
    const instances = this.dataSource.getRepository(InstanceEntity).metadata.tablePath;
    const payload = JSON.stringify(
      samples.map((s) => ({
        instance_id: s.instanceId,
        node_id: s.nodeId,
        messages_in: s.messagesIn,
        messages_out: s.messagesOut,
        rate_in: s.rateIn,
        rate_out: s.rateOut,
        connections: s.connections,
      })),
    );
    await this.dataSource.query(
      `INSERT INTO ${this.repo.metadata.tablePath} AS t
         (instance_id, node_id, messages_in, messages_out, rate_in, rate_out, connections, updated_at)
       SELECT v.instance_id, v.node_id, v.messages_in, v.messages_out, v.rate_in, v.rate_out, v.connections, now()
       FROM jsonb_to_recordset($1::jsonb) AS v(instance_id text, node_id text, messages_in bigint, messages_out bigint,
                                              rate_in double precision, rate_out double precision, connections int)
       WHERE EXISTS (SELECT 1 FROM ${instances} AS i WHERE i.id = v.instance_id)
       ON CONFLICT (instance_id, node_id) DO UPDATE SET
         messages_in = EXCLUDED.messages_in, messages_out = EXCLUDED.messages_out,
         rate_in = EXCLUDED.rate_in, rate_out = EXCLUDED.rate_out,
         connections = EXCLUDED.connections, updated_at = now()`,
      [payload],
    );
  }

  async fleetRates(freshSince: Date): Promise<{ rateIn: number; rateOut: number }> {
    const rows: Array<{ rate_in: number | null; rate_out: number | null }> = await this.dataSource.query(
      `SELECT sum(rate_in) AS rate_in, sum(rate_out) AS rate_out FROM ${this.repo.metadata.tablePath} WHERE updated_at >= $1`,
      [freshSince],
    );
    return { rateIn: Number(rows[0]?.rate_in ?? 0), rateOut: Number(rows[0]?.rate_out ?? 0) };
  }

  async nodeRates(freshSince: Date): Promise<Map<string, { rateIn: number; rateOut: number }>> {
    const rows: Array<{ node_id: string; rate_in: number; rate_out: number }> = await this.dataSource.query(
      `SELECT node_id, sum(rate_in) AS rate_in, sum(rate_out) AS rate_out FROM ${this.repo.metadata.tablePath}
       WHERE updated_at >= $1 GROUP BY node_id`,
      [freshSince],
    );
    return new Map(rows.map((r) => [r.node_id, { rateIn: Number(r.rate_in), rateOut: Number(r.rate_out) }]));
  }

  async totals(instanceId: string, freshSince: Date): Promise<TrafficTotals> {
    const rows = await this.repo.findBy({ instanceId });
    const totals: TrafficTotals = { rateIn: 0, rateOut: 0, messagesIn: 0, messagesOut: 0 };
    for (const row of rows) {
      totals.messagesIn += row.messagesIn;
      totals.messagesOut += row.messagesOut;
      if (row.updatedAt.getTime() >= freshSince.getTime()) {
        totals.rateIn += row.rateIn;
        totals.rateOut += row.rateOut;
      }
    }
    return totals;
  }
}
