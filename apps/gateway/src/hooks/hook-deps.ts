import type { Client } from 'aedes';
import type { FleetMqConfig, Logger } from '#config';
import type { AuthFailureLimiter } from '../auth/auth-failure-limiter.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { CredentialStore } from '../auth/credential-store.js';
import type { GatewayEventBus } from '../gateway.events.js';
import type { RefusalReporter } from '../guards/refusal-reporter.js';
import type { P2PDelivery, PublishForwarder } from '../gateway.ports.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { LocalConnectionRegistry } from '../session/connection-registry.js';
import type { ConnectionState } from '../session/connection-state.js';
import type { Namespace } from '../tenancy/namespace.js';
import type { BacklogSweep } from './backlog-sweep.js';
import type { EngineBoundary } from './engine-boundary.js';

/** What the aedes hooks share; built once per gateway. */
export interface HookDeps {
  readonly config: FleetMqConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly states: WeakMap<Client, ConnectionState>;
  readonly registry: LocalConnectionRegistry;
  readonly events: GatewayEventBus;
  readonly store: CredentialStore;
  readonly authenticator: Authenticator;
  readonly limiter: AuthFailureLimiter;
  /** Contains exceptions thrown while handling one connection (engine-boundary.ts). */
  readonly boundary: EngineBoundary;
  /** Watches the sockets of connections forwarded to for a stalled reader. */
  readonly backlogs: BacklogSweep;
  /** Counts and logs denied and oversize packets. */
  readonly refusals: RefusalReporter;
  forwarder(): PublishForwarder;
  /** Hands a P2P message to the target if it is connected here; false otherwise. */
  deliverP2P(delivery: P2PDelivery): boolean;
  /** Engine patch 4 (aedes-adapter.ts) for a client resuming a persistent session: nothing reaches it before its CONNACK. */
  holdDeliveriesUntilConnack(client: Client): void;
  /** The instance's namespace; one object per instance, shared by its connections. */
  namespace(instanceId: string): Namespace;
  clock(): number;
  /** The packet guards are on every parser (mqtt-packet adapter patched): will topics were validated at CONNECT. */
  readonly guardsInstalled: boolean;
}
