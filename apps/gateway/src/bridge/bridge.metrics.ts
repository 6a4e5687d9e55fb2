import { Counter, Gauge, register } from 'prom-client';
import type { DeliveryResult } from '../gateway.ports.js';
import { hotCounter, hotHistogram, hotTotal, type HotCount } from '../metrics/hot-metrics.js';

/** prom-client's default registry is process-wide: reuse a metric another bridge in this process made. */
function counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames });
}

function gauge<L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> {
  return (register.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames });
}


/** Seconds; fine below 20 ms, where the latency targets are (docs/BENCHMARKS.md "Latency at fixed rates"). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type QosLabel = '0' | '1' | '2';

/**
 * Metrics of the Kafka bridge. Hot paths use the pre-bound children below (an increment, no
 * label lookup); gauges are set from the producer's state, not per message.
 */
export class BridgeMetrics {
  readonly uplinkAcked: HotCount = hotTotal('fleetmq_uplink_acked_total', 'Uplink records acknowledged by Kafka');
  readonly uplinkFailed = counter('fleetmq_uplink_failed_total', 'Uplink records Kafka did not acknowledge (device gets no PUBACK)');
  readonly uplinkDropped = counter('fleetmq_uplink_dropped_total', 'QoS 0 uplink records dropped because the producer queue was full');
  readonly uplinkQueueDepth = gauge('fleetmq_uplink_queue_depth', 'Uplink records waiting for Kafka');
  readonly uplinkPaused = gauge('fleetmq_uplink_saturated', '1 while the uplink producer is full and publishers wait');
  readonly kafkaUp = gauge('fleetmq_kafka_up', '1 when the last produce to Kafka succeeded, 0 while it fails');
  private readonly downlink = counter('fleetmq_downlink_delivered_total', 'Downlink records this node read, by mode and outcome (P2P: delivered here, forwarded to the holding node, queued offline, not connected)', ['mode', 'result']);
  private readonly presence = counter('fleetmq_presence_events_total', 'Presence events produced', ['event']);
  readonly control = counter('fleetmq_control_commands_total', 'Control commands handled', ['type']);
  readonly p2pRelayed = counter('fleetmq_p2p_relayed_total', "Devices' P2P messages sent through fleetmq.downlink because the target is not connected to this node");
  readonly p2pRelayFailed = counter('fleetmq_p2p_relay_failed_total', 'P2P relays Kafka did not take (QoS 1/2: the device gets no PUBACK)');
  // Where a message's time goes (the fixed-rate benchmark scrapes these before and after a run).
  readonly uplinkAckSeconds = hotHistogram('fleetmq_uplink_ack_seconds', 'QoS 1/2 uplink: handed to the Kafka producer -> acknowledged by Kafka (acks=all)', LATENCY_BUCKETS);
  readonly downlinkFetchLagSeconds = hotHistogram('fleetmq_downlink_fetch_lag_seconds', "Downlink: the record's Kafka timestamp (producer's clock, ms) -> read by this gateway", LATENCY_BUCKETS);
  readonly downlinkDeliverySeconds = hotHistogram('fleetmq_downlink_delivery_seconds', 'Downlink: read by this gateway -> written to the target socket(s)', LATENCY_BUCKETS);
  readonly sessionsSwept = counter('fleetmq_sessions_swept_total', 'Sessions of stale gateway nodes marked offline by this node');

  readonly producedByQos: Record<QosLabel, HotCount> = hotCounter('fleetmq_uplink_produced_total', 'Uplink records handed to the Kafka producer', 'qos', ['0', '1', '2']);
  private readonly downlinkByResult: Record<DeliveryResult, Counter.Internal> = {
    published: this.downlink.labels('broadcast', 'published'),
    delivered: this.downlink.labels('p2p', 'delivered'),
    forwarded: this.downlink.labels('p2p', 'forwarded'),
    queued: this.downlink.labels('p2p', 'queued'),
    'not-connected': this.downlink.labels('p2p', 'not-connected'),
  };
  readonly downlinkFailed = this.downlink.labels('any', 'failed');
  readonly presenceConnect = this.presence.labels('connect');

  countDownlink(result: DeliveryResult): void {
    this.downlinkByResult[result].inc();
  }
  readonly presenceDisconnect = this.presence.labels('disconnect');
}
