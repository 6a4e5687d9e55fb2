import type { FleetMqConfig } from '#config';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';
import type { Violation } from './packet-guards.js';
import type { RefusalReporter } from './refusal-reporter.js';

/**
 * A packet guard refused something (once per connection): counted by kind, and reported with
 * the limit that refused it when it was a size limit, else as a protocol violation.
 */
export function reportGuardViolation(
  metrics: GatewayMetrics,
  refusals: RefusalReporter,
  limits: FleetMqConfig['limits'],
  state: ConnectionState,
  kind: Violation,
): void {
  metrics.protocolViolations.labels(kind).inc();
  if (kind === 'oversize' || kind === 'will-oversize') {
    metrics.oversize.inc();
    // Before CONNACK the lower pre-CONNECT cap applies to every packet (packet-guards.ts).
    if (kind === 'oversize' && !state.connected()) refusals.report('oversize', 'FLEETMQ_PRECONNECT_MAX_BYTES', state, { limitValue: limits.preConnectMaxBytes });
    else refusals.report('oversize', 'FLEETMQ_MAX_PAYLOAD_BYTES', state, { limitValue: limits.maxPayloadBytes });
  } else if (kind === 'pre-connect-bytes') {
    refusals.report('pre-connect-bytes', 'FLEETMQ_PRECONNECT_MAX_BYTES', state, { limitValue: limits.preConnectMaxBytes });
  } else {
    refusals.violation(kind, state);
  }
}
