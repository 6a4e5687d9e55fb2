import type { TrafficSample } from '#domain/persistence';

/** Counters of one instance on this node; plain fields so the hot path only increments. */
export class InstanceTraffic {
  messagesIn = 0;
  messagesOut = 0;
  connections = 0;
  /** Totals at the previous snapshot, to derive rates. */
  lastIn = 0;
  lastOut = 0;
}

/**
 * Per-instance message and connection counts of this node, turned into `instance_traffic`
 * rows with the heartbeat (the console sums the nodes for GET I/stats).
 */
export class TrafficCounters {
  private readonly byInstance = new Map<string, InstanceTraffic>();
  private lastSnapshotAt = Date.now();

  /** The counter object of an instance; callers may keep it to skip the map lookup. */
  of(instanceId: string): InstanceTraffic {
    let t = this.byInstance.get(instanceId);
    if (t === undefined) {
      t = new InstanceTraffic();
      this.byInstance.set(instanceId, t);
    }
    return t;
  }

  countIn(instanceId: string): void {
    this.of(instanceId).messagesIn++;
  }

  countOut(instanceId: string, messages = 1): void {
    this.of(instanceId).messagesOut += messages;
  }

  connected(instanceId: string): void {
    this.of(instanceId).connections++;
  }

  disconnected(instanceId: string): void {
    const t = this.of(instanceId);
    if (t.connections > 0) t.connections--;
  }

  /** Rows for every instance seen on this node; rates are per second since the previous snapshot. */
  snapshot(nodeId: string, now = Date.now()): TrafficSample[] {
    const seconds = Math.max((now - this.lastSnapshotAt) / 1000, 0.001);
    this.lastSnapshotAt = now;
    const rows: TrafficSample[] = [];
    for (const [instanceId, t] of this.byInstance) {
      rows.push({
        instanceId,
        nodeId,
        messagesIn: t.messagesIn,
        messagesOut: t.messagesOut,
        rateIn: round2((t.messagesIn - t.lastIn) / seconds),
        rateOut: round2((t.messagesOut - t.lastOut) / seconds),
        connections: t.connections,
      });
      t.lastIn = t.messagesIn;
      t.lastOut = t.messagesOut;
    }
    return rows;
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
