import type { Logger } from '#config';
import type { DownlinkSink } from '#messaging';
import type { ClientContext, ConnectionRegistry, PublishForwarder, UplinkPublish } from '../gateway.ports.js';
import type { BridgeMetrics } from './bridge.metrics.js';

type ForwardDone = (err?: Error | null) => void;

/**
 * A device's P2P PUBLISH is handed to its target by the node that received it, which only
 * reaches a target connected to that same node. When the target is not connected here, the
 * message also goes to `fleetmq.downlink`, where it is routed like any downlink P2P record: to
 * the target's node, or into its offline persistent session's queue (QoS 1/2), or counted
 * absent (gateway.ports.ts (d)). For QoS 1/2 the device's PUBACK/PUBREC waits
 * for that record as well as for the uplink record, so an acknowledged P2P message was handed to
 * Kafka for delivery; QoS 0 stays best effort.
 */
export class P2PRelayForwarder implements PublishForwarder {
  private failures = 0;

  constructor(
    private readonly inner: PublishForwarder,
    private readonly registry: Pick<ConnectionRegistry, 'get'>,
    private readonly downlink: DownlinkSink,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
  ) {}

  forward(ctx: ClientContext, packet: UplinkPublish, done: ForwardDone): void {
    const target = packet.p2pTarget;
    if (target === undefined || this.registry.get(ctx.instanceId, target) !== undefined) {
      this.inner.forward(ctx, packet, done);
      return;
    }
    const relayed = this.downlink.publish({
      instanceId: ctx.instanceId,
      topic: packet.topic,
      qos: packet.qos,
      retain: false,
      payload: packet.payload,
      targetClientId: target,
    });
    if (packet.qos === 0) {
      relayed.then(
        () => this.metrics.p2pRelayed.inc(),
        (err: unknown) => this.failed(ctx, err),
      );
      this.inner.forward(ctx, packet, done);
      return;
    }
    let pending = 2;
    let failure: Error | null = null;
    const settle = (err?: Error | null): void => {
      if (err && failure === null) failure = err;
      if (--pending === 0) done(failure);
    };
    this.inner.forward(ctx, packet, settle);
    relayed.then(
      () => {
        this.metrics.p2pRelayed.inc();
        settle();
      },
      (err: unknown) => {
        this.failed(ctx, err);
        settle(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private failed(ctx: ClientContext, err: unknown): void {
    this.metrics.p2pRelayFailed.inc();
    // Rate-limited: a Kafka outage fails every relay at once.
    if (this.failures++ % 1000 === 0) {
      this.logger.warn({ err: String(err), instanceId: ctx.instanceId, clientId: ctx.clientId, failures: this.failures }, 'P2P relay to fleetmq.downlink failed');
    }
  }
}
