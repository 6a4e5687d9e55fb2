import type { Logger } from '#config';
import type { ClientSessionRepository, GatewayNodeRepository, InstanceTrafficRepository } from '#domain/persistence';
import type { SessionTracker } from './session-tracker.js';
import type { TrafficCounters } from './traffic-counters.js';

export interface NodeHeartbeatOptions {
  nodeId: string;
  /** Read at each beat: the listener's actual port is known only once the gateway started. */
  mqttPort: () => number;
  heartbeatMs: number;
  nodes: GatewayNodeRepository;
  sessions: ClientSessionRepository;
  traffic: InstanceTrafficRepository;
  counters: TrafficCounters;
  tracker: SessionTracker;
  logger: Logger;
  /** Called after each beat with the number of sessions of dead nodes marked offline. */
  onSweep?: (marked: number) => void;
}

/** A node is dead when its heartbeat is older than this many intervals (DESIGN.md "Cross-process state"). */
export const STALE_HEARTBEATS = 3;

/**
 * Every `heartbeatMs`: refresh this node's `gateway_nodes` row (connections), write its
 * `instance_traffic` rows, and mark offline the sessions of nodes whose heartbeat went stale
 * (any live node may: the update is idempotent).
 */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private readonly startedAt = new Date();
  private failing = false;

  constructor(private readonly opts: NodeHeartbeatOptions) {}

  /** The first beat is awaited: the node's row must exist before it accepts clients. */
  async start(): Promise<void> {
    await this.opts.nodes.heartbeat(this.row());
    this.timer = setInterval(() => void this.beat(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  beat(): Promise<void> {
    if (this.beating !== null) return this.beating;
    this.beating = this.doBeat().finally(() => (this.beating = null));
    return this.beating;
  }

  /** Final traffic rows, then the node leaves the list (its sessions are marked offline by the tracker first). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    try {
      await this.opts.traffic.save(this.opts.counters.snapshot(this.opts.nodeId));
      await this.opts.nodes.remove(this.opts.nodeId);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'could not remove the gateway_nodes row at shutdown');
    }
  }

  private row() {
    return {
      nodeId: this.opts.nodeId,
      startedAt: this.startedAt,
      mqttPort: this.opts.mqttPort(),
      connections: this.opts.tracker.connections,
    };
  }

  private async doBeat(): Promise<void> {
    try {
      await this.opts.nodes.heartbeat(this.row());
      await this.opts.traffic.save(this.opts.counters.snapshot(this.opts.nodeId));
      const marked = await this.opts.sessions.markStaleOffline(STALE_HEARTBEATS * this.opts.heartbeatMs);
      if (marked > 0) this.opts.logger.info({ sessions: marked }, 'marked the sessions of stale gateway nodes offline');
      this.opts.onSweep?.(marked);
      if (this.failing) {
        this.failing = false;
        this.opts.logger.info('heartbeat: database reachable again');
        // Our own rows may have been swept meanwhile by another node.
        this.opts.tracker.resyncAll();
      }
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.opts.logger.warn({ err: String(err) }, 'heartbeat: database write failed; other nodes may mark this node\'s sessions offline');
      }
    }
  }
}
