import { Counter, Gauge, register, type CounterConfiguration } from 'prom-client';
import { hotCounter } from './hot-metrics.js';

/**
 * Gateway counters in prom-client's default registry (served on /metrics). Several gateways
 * in one process (tests, all-in-one) share the same metric objects. Label children used in
 * the hot path are bound once, so a PUBLISH costs an increment, no label lookup.
 */
export class GatewayMetrics {
  readonly connections: Gauge<string>;
  readonly connects: Counter<'code'>;
  readonly authFailures: Counter<'code' | 'reason'>;
  readonly publishDenied: Counter<'reason'>;
  readonly subscribeDenied: Counter<'reason'>;
  readonly oversize: Counter<string>;
  readonly protocolViolations: Counter<'reason'>;
  readonly disconnects: Counter<'reason'>;
  readonly deliveries: Counter<'kind'>;
  readonly slowConsumers: Counter<string>;
  readonly forwardDenied: Counter<string>;
  readonly refusedPackets: Counter<'reason' | 'limit'>;
  readonly internalErrors: Counter<'where'>;
  readonly offlineQueueDropped: Counter<'reason'>;
  readonly publishesByQos: ReadonlyArray<{ inc(): void }>;
  /** Where the P2P router sent each downlink or forwarded P2P message (pre-bound: one increment each). */
  readonly p2pRouted: Readonly<Record<'local' | 'forwarded' | 'queuedOffline' | 'absent', { inc(): void }>>;
  readonly presenceErrors: Counter<'op'>;

  constructor() {
    this.connections = gauge('fleetmq_gateway_connections', 'MQTT clients connected to this gateway');
    this.connects = counter({ name: 'fleetmq_gateway_connects_total', help: 'CONNECT attempts answered, by CONNACK return code', labelNames: ['code'] });
    this.authFailures = counter({
      name: 'fleetmq_gateway_auth_failures_total',
      help: 'Refused CONNECTs by CONNACK return code and reason',
      labelNames: ['code', 'reason'],
    });
    this.publishDenied = counter({ name: 'fleetmq_gateway_publish_denied_total', help: 'PUBLISH packets refused by the ACL', labelNames: ['reason'] });
    this.subscribeDenied = counter({ name: 'fleetmq_gateway_subscribe_denied_total', help: 'Topic filters refused in SUBSCRIBE (SUBACK 0x80)', labelNames: ['reason'] });
    this.oversize = counter({ name: 'fleetmq_gateway_oversize_packets_total', help: 'Connections closed for a packet over the size limit' });
    this.protocolViolations = counter({
      name: 'fleetmq_gateway_protocol_violations_total',
      help: 'Connections closed for a protocol violation, by kind',
      labelNames: ['reason'],
    });
    this.disconnects = counter({ name: 'fleetmq_gateway_disconnects_total', help: 'Client disconnections by reason', labelNames: ['reason'] });
    this.deliveries = counter({ name: 'fleetmq_gateway_downlink_deliveries_total', help: 'Downlink messages handed to the broker, by kind', labelNames: ['kind'] });
    this.slowConsumers = counter({
      name: 'fleetmq_gateway_slow_consumer_disconnects_total',
      help: 'Connections closed as slow consumers: outgoing buffer over limits.maxOutgoingBufferBytes, or not draining for STALLED_WRITE_MS',
    });
    this.forwardDenied = counter({
      name: 'fleetmq_gateway_forward_denied_total',
      help: 'Deliveries (live, retained or queued) dropped because the receiving connection may not receive the topic',
    });
    this.refusedPackets = counter({
      name: 'fleetmq_gateway_refused_packets_total',
      help: 'Packets refused (denied PUBLISH or will, oversize), by reason and the limit or rule that refused them; never by client',
      labelNames: ['reason', 'limit'],
    });
    this.internalErrors = counter({
      name: 'fleetmq_gateway_internal_errors_total',
      help: 'Exceptions caught at the engine boundary (hook, parser, listener, broker event); each closed its connection',
      labelNames: ['where'],
    });
    this.offlineQueueDropped = counter({
      name: 'fleetmq_gateway_offline_queue_dropped_total',
      help: 'Queued QoS 1/2 messages of persistent sessions dropped, oldest first, by the bound they broke (max-messages, max-age)',
      labelNames: ['reason'],
    });
    const publishes = hotCounter('fleetmq_gateway_publishes_in_total', 'PUBLISH packets accepted from clients, by QoS', 'qos', ['0', '1', '2']);
    this.publishesByQos = [publishes['0'], publishes['1'], publishes['2']];
    const routed = counter({
      name: 'fleetmq_gateway_p2p_routed_total',
      help: 'P2P messages routed by this node (downlink records it read, messages peers forwarded to it): delivered here, forwarded to the holding node, queued for an offline persistent session, or absent (dropped)',
      labelNames: ['route'],
    });
    this.p2pRouted = {
      local: routed.labels('local'),
      forwarded: routed.labels('forwarded'),
      queuedOffline: routed.labels('queued-offline'),
      absent: routed.labels('absent'),
    };
    this.presenceErrors = counter({
      name: 'fleetmq_gateway_presence_errors_total',
      help: 'Presence directory writes (connect, disconnect) that failed; the entry is then stale until the client reconnects or the node is swept',
      labelNames: ['op'],
    });
  }
}

let shared: GatewayMetrics | undefined;

export function gatewayMetrics(): GatewayMetrics {
  shared ??= new GatewayMetrics();
  return shared;
}

function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  const existing = register.getSingleMetric(config.name);
  return (existing as Counter<L> | undefined) ?? new Counter<L>(config);
}

function gauge(name: string, help: string): Gauge<string> {
  const existing = register.getSingleMetric(name);
  return (existing as Gauge<string> | undefined) ?? new Gauge({ name, help });
}
