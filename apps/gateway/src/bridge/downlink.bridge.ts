import { performance } from 'node:perf_hooks';
import type { Logger } from '#config';
import { downlinkTarget } from '#domain';
import type { DownlinkMessage, DownlinkSource } from '#messaging';
import type { DeliverFn } from '../gateway.ports.js';
import type { TrafficCounters } from '../state/traffic-counters.js';
import type { BridgeMetrics } from './bridge.metrics.js';

/**
 * `fleetmq.downlink` -> devices on this node. Every node reads every record (one consumer group
 * per node); malformed records never get here (the source sends them to `fleetmq.dlq`).
 * P2P is a property of the topic: a record for `<parent>/p2p/<clientId>` reaches that client
 * alone even when its producer (a backend, the in-process bus) named no target, and is never
 * broadcast.
 */
export class DownlinkBridge {
  private failures = 0;

  constructor(
    private readonly source: DownlinkSource,
    private readonly deliver: DeliverFn,
    private readonly traffic: TrafficCounters,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    return this.source.start((msg) => this.handle(msg));
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  async handle(msg: DownlinkMessage): Promise<void> {
    const readAt = performance.now();
    if (msg.kafkaTimestampMs !== undefined) this.metrics.downlinkFetchLagSeconds.observe(Math.max(0, Date.now() - msg.kafkaTimestampMs) / 1000);
    try {
      const target = downlinkTarget(msg.topic, msg.targetClientId, true);
      if (!target.ok) throw new Error(`refused downlink target: ${target.detail}`);
      const result = await this.deliver({
        instanceId: msg.instanceId,
        topic: msg.topic,
        payload: msg.payload,
        qos: msg.qos,
        retain: msg.retain,
        targetClientId: target.targetClientId,
        msgId: msg.msgId,
      });
      // Counted by the node that published it.
      if (result === 'published-elsewhere') return;
      if (result === 'not-connected') {
        this.metrics.downlinkP2PAbsent.inc();
        return;
      }
      if (result === 'delivered') this.metrics.downlinkP2PDelivered.inc();
      else this.metrics.downlinkBroadcast.inc();
      this.metrics.downlinkDeliverySeconds.observe((performance.now() - readAt) / 1000);
      this.traffic.countOut(msg.instanceId);
    } catch (err) {
      // Not rethrown: one record that cannot be delivered must not hold the partition back.
      this.metrics.downlinkFailed.inc();
      if (this.failures++ % 1000 === 0) {
        this.logger.warn({ err: String(err), instanceId: msg.instanceId, msgId: msg.msgId, failures: this.failures }, 'downlink delivery failed');
      }
    }
  }
}
