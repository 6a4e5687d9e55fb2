/**
 * The surface the MQTT core offers to the Kafka bridge (apps/gateway/src/bridge) and to the
 * process that hosts it. Everything here speaks the client's own view: instance IDs, client
 * IDs and topics exactly as the device sees them (the internal `<instanceId>/` namespacing of
 * the broker never leaks through these types).
 *
 *   const gateway = createGateway({ config, credentials, logger });   // or GatewayModule
 *   gateway.setForwarder(myKafkaForwarder);        // (a) before start()
 *   gateway.events.on('connected', (ctx) => ...);  // (b)
 *   await gateway.start();                         // listeners up, actual ports in gateway.ports
 *   gateway.registry.close('fmq-abc123', 'GID_a@@@d1', 'kicked');              // (c)
 *   await gateway.deliver({ instanceId: 'fmq-abc123', topic: 'cmd/x', payload, qos: 1, retain: false }); // (d) broadcast
 *   await gateway.deliver({ instanceId, topic: 'cmd/p2p/GID_a@@@d1', payload, qos: 1, retain: false, targetClientId: 'GID_a@@@d1' }); // P2P
 *   await gateway.credentials.invalidateToken(hash);                           // (e)
 *
 * (a) PublishForwarder: called from aedes' authorizePublish hook AFTER the ACL allowed the
 *     PUBLISH (also for will messages), synchronously and in packet order per connection.
 *     aedes writes the QoS 1 PUBACK (and runs QoS 2 PUBREC / delivery to subscribers) only
 *     after `done()` is called, so a forwarder that calls `done` on Kafka's acknowledgement
 *     gives at-least-once end to end. `done(err)` refuses the message: the connection is
 *     closed without PUBACK (reason 'error') and the device retries after reconnecting.
 *     Copy what you need from `packet` during `forward`: it is a fresh object per call, but
 *     the payload Buffer is shared with the subscribers. The default forwarder acks at once.
 *     At most `limits.maxInflight` forwards are outstanding per connection; beyond that the
 *     gateway holds further packets (in order) and stops reading the socket.
 * (b) GatewayEvents: 'connected' after CONNACK 0 was written, 'disconnected' once per
 *     connected client with its reason, 'subscribed' (granted filters only, as the client
 *     wrote them) and 'unsubscribed'. Listeners run synchronously in the broker: keep them
 *     cheap (enqueue, count) and do not throw (errors are caught and logged).
 * (c) ConnectionRegistry: the clients connected to THIS node.
 * (d) deliver(): downlink from Kafka. Broadcast goes to matching subscribers of that instance
 *     (retained if asked): on this node, or on every node through the Redis session store's
 *     shared emitter; with `targetClientId` only that client receives it, without subscribing:
 *     here, on the node the presence directory names, or queued for its offline persistent session.
 * (e) CredentialInvalidation: drops cached credentials; connections that used a credential
 *     which is now revoked, disabled, expired or gone are closed (reason 'auth-expired').
 */
import type { Identity } from '#auth';
import type { ClientLocation } from '#messaging';

/** Why a connection ended, as reported in presence events. */
export type DisconnectReason =
  | 'normal' // the client sent DISCONNECT
  | 'keepalive-timeout'
  | 'kicked' // registry.close() from the console or an operator
  | 'takeover' // another connection with the same client ID in the same instance
  | 'drain' // the node is shutting down (SIGTERM) and closes its clients over the drain window
  | 'auth-expired' // token expired, credential revoked or disabled while connected
  | 'error' // socket error, EOF without DISCONNECT, forwarder refused a message
  | 'protocol-violation'; // malformed packet, a limit exceeded, or a PUBLISH the ACL denied

export type Transport = 'tcp' | 'tls' | 'ws';

/** Which stored credential a connection used: lets the bridge find clients to close on revocation. */
export interface CredentialRef {
  readonly mode: 'anonymous' | 'signature' | 'token' | 'device-credential';
  /** Access key of signature and token modes. */
  readonly accessKeyId?: string;
  /** SHA-256 hex of each token presented (token mode). */
  readonly tokenHashes: readonly string[];
  /** Device access key ID (device-credential mode). */
  readonly deviceAccessKeyId?: string;
}

/** One authenticated connection. Immutable; the same object is passed to every port. */
export interface ClientContext {
  readonly instanceId: string;
  /** As the client sent it; for an anonymous client with an empty ID, the ID the broker generated. */
  readonly clientId: string;
  readonly identity: Identity;
  readonly credential: CredentialRef;
  readonly remoteAddress: string;
  /** ms since epoch, when CONNECT was accepted. */
  readonly connectedAt: number;
  /** Gateway node ID (config.nodeId). */
  readonly node: string;
  /** Grows with each connection this node accepts: with the node, it names this connection in the presence directory. */
  readonly serial: number;
  readonly cleanSession: boolean;
  readonly protocolVersion: number;
  readonly transport: Transport;
}

export type QoS = 0 | 1 | 2;

/** A PUBLISH (or will message) the ACL allowed, in the client's own topic space. */
export interface UplinkPublish {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  /** True for the will message, published when the connection ended without DISCONNECT. */
  readonly will: boolean;
  /** The target client ID when `topic` is a P2P topic `<parent>/p2p/<clientId>`. */
  readonly p2pTarget?: string;
}

export interface PublishForwarder {
  forward(ctx: ClientContext, packet: UplinkPublish, done: (err?: Error | null) => void): void;
}

/** Acknowledges at once: the gateway runs as a plain broker (tests, no Kafka). */
export const IMMEDIATE_FORWARDER: PublishForwarder = Object.freeze({
  forward(_ctx: ClientContext, _packet: UplinkPublish, done: (err?: Error | null) => void): void {
    done();
  },
});

export interface GrantedSubscription {
  /** The filter as the client wrote it. */
  readonly topic: string;
  readonly qos: QoS;
}

export interface GatewayEventMap {
  connected: [ctx: ClientContext];
  disconnected: [ctx: ClientContext, reason: DisconnectReason];
  subscribed: [ctx: ClientContext, subscriptions: readonly GrantedSubscription[]];
  unsubscribed: [ctx: ClientContext, filters: readonly string[]];
}

export type GatewayEventName = keyof GatewayEventMap;
export type GatewayListener<E extends GatewayEventName> = (...args: GatewayEventMap[E]) => void;

export interface GatewayEvents {
  /** Returns a function that removes the listener. */
  on<E extends GatewayEventName>(event: E, listener: GatewayListener<E>): () => void;
  off<E extends GatewayEventName>(event: E, listener: GatewayListener<E>): void;
}

export interface ConnectionRegistry {
  /** Connected clients on this node. */
  readonly size: number;
  get(instanceId: string, clientId: string): ClientContext | undefined;
  /** Current subscriptions of a connected client (restored persistent ones included). */
  subscriptions(instanceId: string, clientId: string): GrantedSubscription[] | undefined;
  /** Closes one client; false when it is not connected here. */
  close(instanceId: string, clientId: string, reason: DisconnectReason): boolean;
  /** Closes every client the predicate selects; returns how many. */
  closeWhere(predicate: (ctx: ClientContext) => boolean, reason: DisconnectReason): number;
  /** Snapshot of the connected clients. */
  list(): ClientContext[];
}

/**
 * 'published': handed to the subscribers (with the Redis session store, on every node). P2P:
 * 'delivered' to the target here, 'forwarded' to the node holding it, 'queued' for its offline
 * persistent session (QoS 1/2), 'not-connected' (dropped and counted).
 */
export type DeliveryResult = 'published' | 'delivered' | 'forwarded' | 'queued' | 'not-connected';

/** A message for one client connected here (P2P): never retained, no subscription needed. */
export interface P2PDelivery {
  instanceId: string;
  targetClientId: string;
  /** As the client sees it (no namespace prefix). */
  topic: string;
  payload: Buffer;
  qos: QoS;
}

/** A downlink message: to the instance's matching subscribers here, or with `targetClientId` to that client only. */
export interface Delivery {
  instanceId: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  targetClientId?: string;
}

export type DeliverFn = (delivery: Delivery) => Promise<DeliveryResult>;

export type { ClientLocation };

/**
 * "Where is client X" for the gateway: the one authority that routes P2P messages. With the
 * Redis session store it is the tier's presence directory in Redis (RedisPresence), which the
 * console reads too; with the memory store it is this node's own registry (LocalPresence).
 * The gateway writes it on every connect and disconnect.
 */
export interface PresenceDirectory {
  start(): Promise<void>;
  stop(): Promise<void>;
  connected(ctx: ClientContext): Promise<void>;
  disconnected(ctx: ClientContext): Promise<void>;
  locate(instanceId: string, clientId: string): Promise<ClientLocation>;
}

/** Each returns how many connections it closed. */
export interface CredentialInvalidation {
  invalidateToken(tokenHash: string): Promise<number>;
  invalidateAccessKey(accessKeyId: string): Promise<number>;
  invalidateDeviceCredential(deviceAccessKeyId: string): Promise<number>;
  /** Instance row, its groups and parent topics (e.g. after the console changed them). */
  invalidateInstance(instanceId: string): void;
  /** The instance is gone: forgets everything cached of it and closes all its connections here. */
  dropInstance(instanceId: string): number;
}

export interface ListeningPorts {
  mqtt: number;
  /** Undefined when TLS is not configured. */
  mqtts?: number;
  ws: number;
}

/** What the bridge and the hosting process get from the gateway core. */
export interface GatewayPorts {
  readonly nodeId: string;
  readonly events: GatewayEvents;
  readonly registry: ConnectionRegistry;
  readonly credentials: CredentialInvalidation;
  readonly deliver: DeliverFn;
  /** Replaces the forwarder; call before start() so no PUBLISH bypasses it. */
  setForwarder(forwarder: PublishForwarder): void;
  /** Actual ports after start() (0 in the config means an ephemeral port). */
  readonly ports: ListeningPorts | undefined;
}
