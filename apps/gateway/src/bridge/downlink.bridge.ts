import { performance } from 'node:perf_hooks';
import type { Logger } from '#config';
import { downlinkTarget } from '#domain';
import type { DownlinkMessage, DownlinkSource } from '#messaging';
import type { DeliverFn } from '../gateway.ports.js';
import type { TrafficCounters } from '../state/traffic-counters.js';
import type { BridgeMetrics } from './bridge.metrics.js';

/**
 * `fleetmq.downlink` -> devices. With the memory session store every node reads every record
 * (one consumer group per node) and delivers to the clients it holds; with the Redis session
 * store the tier shares one group, so each record is read once and the gateway core carries it
 * to the right nodes (gateway.ports.ts (d)). Malformed records never get here (the source sends
 * them to `fleetmq.dlq`).
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
      });
      this.metrics.countDownlink(result);
      // Counted out by the node that writes it to the device.
      if (result === 'published' || result === 'delivered') {
        this.metrics.downlinkDeliverySeconds.observe((performance.now() - readAt) / 1000);
        this.traffic.countOut(msg.instanceId);
      }
    } catch (err) {
      // Not rethrown: one record that cannot be delivered must not hold the partition back.
      this.metrics.downlinkFailed.inc();
      if (this.failures++ % 1000 === 0) {
        this.logger.warn({ err: String(err), instanceId: msg.instanceId, msgId: msg.msgId, failures: this.failures }, 'downlink delivery failed');
      }
    }
  }
}
