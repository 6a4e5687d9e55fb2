import type { DeliveryResult, P2PDelivery, PresenceDirectory } from '../gateway.ports.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';

export type P2PRoute = Extract<DeliveryResult, 'delivered' | 'forwarded' | 'queued' | 'not-connected'>;

export interface P2PRouterDeps {
  nodeId: string;
  presence: Pick<PresenceDirectory, 'locate'>;
  /** Writes to the target's connection on this node; false when it is not connected here. */
  deliverHere(delivery: P2PDelivery): boolean;
  /** Hands the message to `nodeId` (Redis session store); resolves with how many nodes got it. Undefined: one node, no peers. */
  forward: ((nodeId: string, delivery: P2PDelivery) => Promise<number>) | undefined;
  /** Queues a QoS 1/2 message for the target's offline persistent session (aedes persistence). */
  enqueue(delivery: P2PDelivery): Promise<void>;
  metrics: Pick<GatewayMetrics, 'p2pRouted'>;
}

/**
 * Routes one P2P message (a downlink record this node read, or a message a peer forwarded) by
 * the presence directory: the target's connection here; else the node holding it, once (a node
 * that receives a forward does not forward again, so a client moving between nodes cannot make
 * it bounce); else, for QoS 1/2, the offline queue of its persistent session, which it gets on
 * reconnect to any node sharing the persistence; else it is absent: dropped and counted, as
 * QoS 0 to anyone not connected. A holder that vanished without its entry (no node received the
 * forward) is treated as offline.
 */
export class P2PRouter {
  constructor(private readonly deps: P2PRouterDeps) {}

  /** `mayForward` is false for a message a peer forwarded to this node. */
  async route(delivery: P2PDelivery, mayForward: boolean): Promise<P2PRoute> {
    const { deps } = this;
    // Synchronous before the first await: messages to a client here keep their order.
    if (deps.deliverHere(delivery)) {
      deps.metrics.p2pRouted.local.inc();
      return 'delivered';
    }
    const location = await deps.presence.locate(delivery.instanceId, delivery.targetClientId);
    if (location.state === 'online' && location.nodeId !== deps.nodeId && mayForward && deps.forward !== undefined) {
      if ((await deps.forward(location.nodeId, delivery)) > 0) {
        deps.metrics.p2pRouted.forwarded.inc();
        return 'forwarded';
      }
    }
    const persistent = location.state === 'offline-persistent' || (location.state === 'online' && location.persistent);
    if (persistent && delivery.qos > 0) {
      await deps.enqueue(delivery);
      deps.metrics.p2pRouted.queuedOffline.inc();
      return 'queued';
    }
    deps.metrics.p2pRouted.absent.inc();
    return 'not-connected';
  }
}
