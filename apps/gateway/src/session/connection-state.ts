import type { ParentTopics } from '../auth/credential-store.js';
import type { AedesClientInternals } from '../engine/aedes-adapter.js';
import type { ClientContext, DisconnectReason, Transport } from '../gateway.ports.js';
import type { GuardTarget, ParsedPacket, Violation } from '../guards/packet-guards.js';
import type { PublishGate } from '../guards/publish-gate.js';
import type { Namespace } from '../tenancy/namespace.js';

/** Facts of the CONNECT packet, captured in preConnect (authenticate only gets username/password). */
export interface ConnectFacts {
  clientId: string;
  cleanSession: boolean;
  protocolVersion: number;
  will: { topic: string } | undefined;
}

/** What every connection needs from its gateway: one object, shared by all of them. */
export interface ConnectionHost {
  /** A packet guard refused something (called once per connection). */
  onViolation(state: ConnectionState, kind: Violation): void;
  /** The publish gate of an authenticated connection (in-flight and rate limits). */
  createGate(): PublishGate;
  /** The parser, or engine code it ran, threw while handling this connection. */
  onCrash(state: ConnectionState, err: unknown): void;
}

/**
 * Everything the gateway keeps per connection; one object, created when the socket arrives.
 * It is also the connection's packet-guard target, so guarding needs no closures. Kept small
 * on purpose: it exists once per connected device.
 */
export class ConnectionState implements GuardTarget {
  /** The CONNECT facts until authenticated; afterwards kept only when there is a will. */
  connect: ConnectFacts | undefined;
  ns: Namespace | undefined;
  ctx: ClientContext | undefined;
  parentTopics: ParentTopics | undefined;
  /** First reason wins: later errors caused by closing do not overwrite why it was closed. */
  closeReason: DisconnectReason | undefined;
  /** 'connected' was emitted, so exactly one 'disconnected' follows. */
  announced = false;
  /** Bytes received before CONNACK (aedes#1086 guard). */
  preConnectBytes = 0;
  /** A guard already reported this connection's violation. */
  guardFailed = false;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Re-checks the outgoing buffer while the socket is backed up (backlog-sweep.ts). */
  backlogTimer: NodeJS.Timeout | undefined;
  /** The sweep count when a PUBLISH was last forwarded here (backlog-sweep.ts); -2: never. */
  forwardSweep = -2;
  /** UNSUBSCRIBE packets parsed before authentication: their filters are namespaced once it succeeds. */
  pendingUnsubscribes: Array<{ unsubscriptions: string[] }> | undefined;
  private gateSlot: PublishGate | undefined;

  constructor(
    readonly client: AedesClientInternals,
    readonly transport: Transport,
    readonly remoteAddress: string,
    private readonly host: ConnectionHost,
  ) {}

  /**
   * Made on the first PUBLISH of an authenticated connection: a device that never publishes
   * never pays for one. Undefined before authentication.
   */
  get gate(): PublishGate | undefined {
    if (this.gateSlot === undefined && this.ctx !== undefined && !this.client.closed) this.gateSlot = this.host.createGate();
    return this.gateSlot;
  }

  /** Records why the gateway closes this connection (first reason wins). */
  markClosing(reason: DisconnectReason): void {
    this.closeReason ??= reason;
  }

  /** Closes the connection for `reason`; aedes publishes the will, as for any non-DISCONNECT end. */
  close(reason: DisconnectReason): void {
    this.markClosing(reason);
    this.client.close();
  }

  dispose(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (this.backlogTimer !== undefined) clearInterval(this.backlogTimer);
    this.backlogTimer = undefined;
    this.gateSlot?.close();
  }

  // ---- GuardTarget

  connected(): boolean {
    return this.client.connackSent === true;
  }

  violation(kind: Violation): void {
    this.markClosing('protocol-violation');
    this.host.onViolation(this, kind);
  }

  /** UNSUBSCRIBE has no aedes hook: its filters are namespaced here, or once authenticated. */
  packet(packet: ParsedPacket): void {
    if (packet.cmd !== 'unsubscribe' || packet.unsubscriptions === undefined) return;
    const withFilters = packet as { unsubscriptions: string[] };
    const ns = this.ns;
    if (ns !== undefined) withFilters.unsubscriptions = withFilters.unsubscriptions.map((t) => ns.wrap(t));
    else (this.pendingUnsubscribes ??= []).push(withFilters);
  }

  destroy(): void {
    this.client.conn.destroy();
  }

  crashed(err: unknown): void {
    this.host.onCrash(this, err);
  }
}
