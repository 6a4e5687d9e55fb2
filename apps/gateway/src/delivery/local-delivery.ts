import type { Aedes } from 'aedes';
import { MAX_MQTT_STRING_BYTES, validateTopicName } from '#domain';
import type { P2PRouter } from '../cluster/p2p-router.js';
import { publishToClient } from '../engine/aedes-adapter.js';
import { GatewayNotStartedError } from '../gateway-not-started.error.js';
import type { Delivery, DeliveryResult, P2PDelivery } from '../gateway.ports.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { LocalConnectionRegistry } from '../session/connection-registry.js';
import type { NamespaceCache } from '../tenancy/namespace-cache.js';

const DOLLAR = 0x24;

export interface LocalDeliveryDeps {
  /** The running broker; undefined before start and after stop. */
  broker(): Aedes | undefined;
  registry: LocalConnectionRegistry;
  namespaces: NamespaceCache;
  metrics: GatewayMetrics;
  /** Routes downlink P2P by the presence directory. */
  router: P2PRouter;
}

/**
 * Hands downlink messages to the broker: a broadcast is published once into aedes (with the
 * Redis session store its emitter carries it to every node's subscribers, and the tier's one
 * downlink group made this node the only reader); P2P goes to the router. A P2P message is
 * written straight to the target's connection, never through subscriptions, never retained.
 */
export class LocalDelivery {
  constructor(private readonly deps: LocalDeliveryDeps) {}

  /** Downlink: see gateway.ports.ts (d). */
  async deliver(delivery: Delivery): Promise<DeliveryResult> {
    const broker = this.deps.broker();
    if (broker === undefined) throw new GatewayNotStartedError();
    const { instanceId, topic, payload, qos, retain, targetClientId } = delivery;
    // Downlink topics come from Kafka, not from a guarded parser: checked here, once.
    if (validateTopicName(topic, MAX_MQTT_STRING_BYTES) !== null || topic.charCodeAt(0) === DOLLAR) throw new Error(`invalid downlink topic: ${topic}`);
    if (targetClientId !== undefined) return this.deps.router.route({ instanceId, targetClientId, topic, payload, qos }, true);
    const internal = this.deps.namespaces.get(instanceId).wrap(topic);
    await new Promise<void>((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic: internal, payload, qos, retain, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
    this.deps.metrics.deliveries.labels('broadcast').inc();
    return 'published';
  }

  /** A P2P message to one client, if it is connected here; false otherwise. */
  toClient(delivery: P2PDelivery): boolean {
    const target = this.deps.registry.state(delivery.instanceId, delivery.targetClientId);
    if (target === undefined || target.client.closed) {
      this.deps.metrics.deliveries.labels('p2p-not-connected').inc();
      return false;
    }
    const broker = this.deps.broker();
    if (broker === undefined) throw new GatewayNotStartedError();
    const topic = this.deps.namespaces.get(delivery.instanceId).wrap(delivery.topic);
    publishToClient(broker, target.client, { topic, payload: delivery.payload, qos: delivery.qos });
    this.deps.metrics.deliveries.labels('p2p').inc();
    return true;
  }
}
