import type { PresenceSink } from '#messaging';
import type { ClientContext, ConnectionRegistry, DisconnectReason, GatewayEvents } from '../gateway.ports.js';
import type { SessionTracker } from '../state/session-tracker.js';
import type { TrafficCounters } from '../state/traffic-counters.js';
import type { BridgeMetrics } from './bridge.metrics.js';

export interface PresenceBridgeDeps {
  events: GatewayEvents;
  registry: ConnectionRegistry;
  tracker: SessionTracker;
  presence: PresenceSink;
  traffic: TrafficCounters;
  metrics: BridgeMetrics;
  nodeId: string;
}

/**
 * Client events -> `client_sessions` rows and `fleetmq.presence` records. The connect epoch
 * comes from the session upsert (monotonic across nodes); both events of a connection wait for
 * it, connect first, so one client's events leave this node in order.
 */
export class PresenceBridge {
  private readonly unsubscribe: Array<() => void> = [];
  private readonly events: GatewayEvents;
  private readonly registry: ConnectionRegistry;
  private readonly tracker: SessionTracker;
  private readonly presence: PresenceSink;
  private readonly traffic: TrafficCounters;
  private readonly metrics: BridgeMetrics;
  private readonly nodeId: string;

  constructor(deps: PresenceBridgeDeps) {
    this.events = deps.events;
    this.registry = deps.registry;
    this.tracker = deps.tracker;
    this.presence = deps.presence;
    this.traffic = deps.traffic;
    this.metrics = deps.metrics;
    this.nodeId = deps.nodeId;
  }

  attach(): void {
    this.unsubscribe.push(
      this.events.on('connected', (ctx) => this.connected(ctx)),
      this.events.on('disconnected', (ctx, reason) => this.disconnected(ctx, reason)),
      this.events.on('subscribed', (ctx, subs) => this.tracker.subscribed(ctx, subs)),
      this.events.on('unsubscribed', (ctx, filters) => this.tracker.unsubscribed(ctx, filters)),
    );
  }

  detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private connected(ctx: ClientContext): void {
    this.traffic.connected(ctx.instanceId);
    const opened = this.tracker.opened(ctx, {
      instanceId: ctx.instanceId,
      clientId: ctx.clientId,
      remoteAddress: ctx.remoteAddress,
      clean: ctx.cleanSession,
      connectedAt: ctx.connectedAt,
    });
    // A resumed persistent session got its subscriptions back before CONNACK, without SUBSCRIBE events.
    if (!ctx.cleanSession) {
      const restored = this.registry.subscriptions(ctx.instanceId, ctx.clientId);
      if (restored !== undefined && restored.length > 0) this.tracker.subscribed(ctx, restored);
    }
    void opened.then((epoch) => {
      this.metrics.presenceConnect.inc();
      this.presence.publish({
        instanceId: ctx.instanceId,
        clientId: ctx.clientId,
        event: 'connect',
        reason: null,
        node: this.nodeId,
        remoteAddress: ctx.remoteAddress,
        ts: ctx.connectedAt,
        epoch,
      });
    });
  }

  private disconnected(ctx: ClientContext, reason: DisconnectReason): void {
    this.traffic.disconnected(ctx.instanceId);
    const ts = Date.now();
    void this.tracker.closed(ctx).then((epoch) => {
      this.metrics.presenceDisconnect.inc();
      this.presence.publish({
        instanceId: ctx.instanceId,
        clientId: ctx.clientId,
        event: 'disconnect',
        reason,
        node: this.nodeId,
        remoteAddress: ctx.remoteAddress,
        ts,
        epoch,
      });
    });
  }
}
