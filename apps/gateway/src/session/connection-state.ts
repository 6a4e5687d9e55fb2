import type { Client } from 'aedes';
import type { ParentTopics } from '../auth/credential-store.js';
import type { ClientContext, DisconnectReason, Transport } from '../gateway.ports.js';
import type { PublishGate } from '../guards/publish-gate.js';
import type { Namespace } from '../tenancy/namespace.js';

/** The parts of aedes' Client the gateway reads that its typings do not declare. */
export interface AedesClientInternals extends Client {
  subscriptions: Record<string, { qos: number }>;
  connackSent: boolean;
  _disconnected: boolean;
  will: unknown;
}

/** Facts of the CONNECT packet, captured in preConnect (authenticate only gets username/password). */
export interface ConnectFacts {
  clientId: string;
  cleanSession: boolean;
  protocolVersion: number;
  will: object | undefined;
}

/** Everything the gateway keeps per connection; one object, created when the socket arrives. */
export class ConnectionState {
  connect: ConnectFacts | undefined;
  ns: Namespace | undefined;
  ctx: ClientContext | undefined;
  parentTopics: ParentTopics | undefined;
  gate: PublishGate | undefined;
  /** First reason wins: later errors caused by closing do not overwrite why it was closed. */
  closeReason: DisconnectReason | undefined;
  /** 'connected' was emitted, so exactly one 'disconnected' follows. */
  announced = false;
  /** Bytes received before CONNACK (aedes#1086 guard). */
  preConnectBytes = 0;
  /** A guard already counted this connection's violation. */
  violation: string | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Re-checks the outgoing buffer while the socket is backed up (authorize-forward.hook.ts). */
  backlogTimer: NodeJS.Timeout | undefined;
  /** UNSUBSCRIBE packets parsed before authentication: their filters are namespaced once it succeeds. */
  pendingUnsubscribes: Array<{ unsubscriptions: string[] }> = [];

  constructor(
    readonly client: AedesClientInternals,
    readonly transport: Transport,
    readonly remoteAddress: string,
  ) {}

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
    this.gate?.close();
  }
}
