import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';

/** Why a packet was refused: the `reason` label of fleetmq_gateway_refused_packets_total. */
export type PacketRefusal = 'publish-denied' | 'will-denied' | 'subscribe-denied' | 'oversize' | 'pre-connect-bytes';

/**
 * Counts and logs packets the gateway refuses. The metric is labelled by reason and by the
 * limit or ACL rule that refused it, both from small fixed sets, never by client (millions of
 * devices); the log line names the client, rate-limited per (reason, limit) so that one
 * misconfigured fleet repeating the same mistake writes a line every few seconds, not one per
 * packet.
 */
export class RefusalReporter {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: RateLimitedLog,
  ) {}

  report(reason: PacketRefusal, limit: string, state: ConnectionState | undefined, detail: Record<string, unknown> = {}): void {
    this.metrics.refusedPackets.labels(reason, limit).inc();
    this.log.warn(
      `${reason}|${limit}`,
      {
        reason,
        limit,
        instanceId: state?.ctx?.instanceId,
        clientId: state?.ctx?.clientId ?? state?.connect?.clientId,
        address: state?.remoteAddress,
        ...detail,
      },
      'packet refused',
    );
  }

  /**
   * A CONNECT refused unchecked by the auth-failure limiter (counted by the caller as reason
   * `rate-limited`): which limit, so an operator sees a NAT address reaching its ceiling.
   */
  connectBlocked(block: string, clientId: string, address: string): void {
    this.log.warn(`blocked|${block}`, { reason: 'rate-limited', limit: block, clientId, address }, 'connect refused unchecked');
  }

  /**
   * A connection closed for a malformed packet (counted by the caller in
   * fleetmq_gateway_protocol_violations_total): logged the same way, so a device that sends
   * the same broken packet after every reconnect shows up in the log.
   */
  violation(kind: string, state: ConnectionState | undefined): void {
    this.log.warn(
      `violation|${kind}`,
      { reason: 'protocol-violation', kind, instanceId: state?.ctx?.instanceId, clientId: state?.ctx?.clientId ?? state?.connect?.clientId, address: state?.remoteAddress },
      'connection closed: protocol violation',
    );
  }
}
