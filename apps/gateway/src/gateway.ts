import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { withTimeout, type FleetMqConfig, type Logger } from '#config';
import { MAX_CLIENT_ID_LENGTH } from '#domain';
import type { CredentialLookupRepository } from '#domain/persistence';
import { RedisNodeChannel } from '#messaging';
import { AuthFailureLimiter } from './auth/auth-failure-limiter.js';
import { Authenticator } from './auth/authenticator.js';
import { CredentialRevalidation } from './auth/credential-revalidation.js';
import { CredentialStore } from './auth/credential-store.js';
import { LocalPresence } from './cluster/local-presence.js';
import { P2PRouter } from './cluster/p2p-router.js';
import { RedisPresence } from './cluster/redis-presence.js';
import { LocalDelivery } from './delivery/local-delivery.js';
import { GatewayNotStartedError } from './gateway-not-started.error.js';
import { GatewayEventBus } from './gateway.events.js';
import {
  IMMEDIATE_FORWARDER,
  type CredentialInvalidation,
  type DeliverFn,
  type GatewayPorts,
  type ListeningPorts,
  type P2PDelivery,
  type PresenceDirectory,
  type PublishForwarder,
  type Transport,
} from './gateway.ports.js';
import { brokerIdFor, enqueueOffline, type AedesClientInternals } from './engine/aedes-adapter.js';
import { checkEngines, type Engines } from './engine/engines.js';
import { boundOfflineQueues } from './engine/bounded-offline-queue.js';
import { mqttPacketDebugState } from './engine/mqtt-packet-debug.js';
import { createMemoryEmitter } from './engine/memory-emitter.js';
import { createMemoryPersistence } from './engine/memory-persistence.js';
import { createRedisSessionStore, type RedisSessionStore } from './engine/redis-session-store.js';
import { reportGuardViolation } from './guards/guard-violations.js';
import { maxPacketBytes } from './guards/packet-guards.js';
import { PublishGate } from './guards/publish-gate.js';
import { RefusalReporter } from './guards/refusal-reporter.js';
import { TokenBucket } from './guards/token-bucket.js';
import { createAuthenticateHook, createPreConnectHook } from './hooks/authenticate.hook.js';
import { createAuthorizeForwardHook } from './hooks/authorize-forward.hook.js';
import { BACKLOG_SWEEP_MS, BacklogSweep } from './hooks/backlog-sweep.js';
import { createAuthorizePublishHook } from './hooks/authorize-publish.hook.js';
import { createAuthorizeSubscribeHook } from './hooks/authorize-subscribe.hook.js';
import { attachBrokerEvents, markTakeover } from './hooks/broker-events.js';
import { EngineBoundary } from './hooks/engine-boundary.js';
import type { HookDeps } from './hooks/hook-deps.js';
import { RateLimitedLog } from './logging/rate-limited-log.js';
import { openListeners, type Listener } from './listeners/listeners.js';
import { gatewayMetrics, type GatewayMetrics } from './metrics/gateway.metrics.js';
import { LocalConnectionRegistry } from './session/connection-registry.js';
import { ConnectionState, type ConnectionHost } from './session/connection-state.js';
import { DRAIN_TICK_MS, drainDueCount } from './session/drain-pacing.js';
import { HeapCompactor, memoryReducingCollection } from './state/heap-compactor.js';
import { NamespaceCache } from './tenancy/namespace-cache.js';
import { internalClientId } from './tenancy/namespace.js';

export interface GatewayOptions {
  config: FleetMqConfig;
  /** Credential lookups (TypeOrmCredentialLookupRepository with the process's SecretBox). */
  credentials: CredentialLookupRepository;
  logger: Logger;
  /** Defaults to IMMEDIATE_FORWARDER (no Kafka). */
  forwarder?: PublishForwarder;
  clock?: () => number;
}

/** A WebSocket frame carries one MQTT packet plus its own header (at most 14 bytes), rounded up. */
const WS_FRAME_OVERHEAD_BYTES = 16;
/** Refusals and internal errors of one kind are logged at most once per this interval (with a count). */
const RATE_LIMITED_LOG_INTERVAL_MS = 10_000;
/** Tries, a second apart, to store connected sessions' subscriptions again after a Redis reconnect. */
const RESTORE_ATTEMPTS = 5;
const RESTORE_RETRY_MS = 1_000;
/**
 * One attempt's limit: each stored subscription waits for its own announcement to come back over
 * the shared emitter, which is lost when sent before the emitter's connection resubscribed, and
 * then never settles (aedes-persistence's BroadcastPersistence has no timeout of its own).
 */
const RESTORE_ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * The MQTT gateway core: one aedes broker shared by all instances (namespaced), its listeners,
 * and the ports the Kafka bridge uses (gateway.ports.ts).
 */
export class Gateway implements GatewayPorts {
  readonly nodeId: string;
  readonly events: GatewayEventBus;
  readonly registry: LocalConnectionRegistry;
  readonly credentials: CredentialInvalidation;
  readonly metrics: GatewayMetrics;
  private readonly config: FleetMqConfig;
  private readonly logger: Logger;
  private readonly store: CredentialStore;
  private readonly states = new WeakMap<Client, ConnectionState>();
  private readonly deps: HookDeps;
  private readonly boundary: EngineBoundary;
  private readonly refusals: RefusalReporter;
  private readonly rateLimitedLog: RateLimitedLog;
  private readonly clock: () => number;
  private forwarder: PublishForwarder;
  private broker: Aedes | undefined;
  /** aedes and mqtt-packet, checked at start (engine/): their patches, or none. */
  private engines: Engines | undefined;
  /** FLEETMQ_SESSION_STORE=redis: aedes' persistence and emitter in Redis; undefined for the memory default. */
  private sessionStore: RedisSessionStore | undefined;
  private listeners: Listener[] = [];
  private listening: ListeningPorts | undefined;
  private readonly namespaces = new NamespaceCache();
  private readonly delivery: LocalDelivery;
  /** "Where is client X": the tier's directory in Redis, or this node's registry (memory store). */
  private readonly presence: PresenceDirectory;
  /** P2P messages to and from the other nodes (Redis session store only). */
  private readonly nodeChannel: RedisNodeChannel | undefined;
  private readonly router: P2PRouter;
  private presenceWrites: Array<() => void> = [];
  private backlogSweep: NodeJS.Timeout | undefined;
  private compactor: HeapCompactor | undefined;
  /** Connections handed to aedes since start (the heap compactor watches it). */
  private accepted = 0;
  /** Shared by every ConnectionState: per-connection objects hold one reference, no closures. */
  private readonly host: ConnectionHost;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.nodeId = options.config.nodeId;
    this.logger = options.logger.child({ component: 'gateway' });
    this.clock = options.clock ?? Date.now;
    this.forwarder = options.forwarder ?? IMMEDIATE_FORWARDER;
    this.metrics = gatewayMetrics();
    this.events = new GatewayEventBus(this.logger);
    this.store = new CredentialStore(options.credentials, this.config.authCacheTtlMs, this.logger, this.clock);
    const { maxInflight, publishRatePerConnection: rate } = this.config.limits;
    const rateLimitedLog = new RateLimitedLog(this.logger, RATE_LIMITED_LOG_INTERVAL_MS, this.clock);
    this.rateLimitedLog = rateLimitedLog;
    this.boundary = new EngineBoundary(this.states, this.metrics, rateLimitedLog);
    // Kicks and credential re-checks close connections from the control bridge's Kafka handler.
    this.registry = new LocalConnectionRegistry((state, reason) => this.boundary.close('control', state, reason));
    this.refusals = new RefusalReporter(this.metrics, rateLimitedLog);
    this.host = {
      onViolation: (state, kind) => reportGuardViolation(this.metrics, this.refusals, this.config.limits, state, kind),
      createGate: () => new PublishGate(maxInflight, rate > 0 ? new TokenBucket(rate, this.clock) : undefined),
      onCrash: (state, err) => this.boundary.contain('parser', state.client, err),
    };
    const engines = () => this.engines;
    this.deps = {
      config: this.config,
      logger: this.logger,
      metrics: this.metrics,
      states: this.states,
      registry: this.registry,
      events: this.events,
      store: this.store,
      authenticator: new Authenticator(this.store, { allowAnonymous: this.config.allowAnonymous, clock: this.clock }),
      boundary: this.boundary,
      backlogs: new BacklogSweep({ config: this.config, metrics: this.metrics, boundary: this.boundary, clock: this.clock }),
      refusals: this.refusals,
      limiter: new AuthFailureLimiter(
        {
          perAddressPerMinute: this.config.limits.authFailuresPerMinute,
          perClient: this.config.limits.authFailuresPerClient,
          backoffMs: this.config.limits.authBackoffMs,
          backoffMaxMs: this.config.limits.authBackoffMaxMs,
        },
        { clock: this.clock },
      ),
      forwarder: () => this.forwarder,
      deliverP2P: (delivery) => this.delivery.toClient(delivery),
      holdDeliveriesUntilConnack: (client) => engines()?.aedes.holdDeliveriesUntilConnack(client),
      namespace: (instanceId) => this.namespaces.get(instanceId),
      clock: this.clock,
      get guardsInstalled() {
        return engines()?.mqttPacket.patched === true;
      },
    };
    if (this.config.sessionStore === 'redis') {
      const redisUrl = this.config.redisUrl!;
      this.presence = new RedisPresence({ redisUrl, nodeId: this.nodeId, heartbeatMs: this.config.heartbeatMs, logger: this.logger });
      this.nodeChannel = new RedisNodeChannel(redisUrl, this.nodeId, this.logger);
    } else {
      this.presence = new LocalPresence(this.registry, this.nodeId);
    }
    const channel = this.nodeChannel;
    this.router = new P2PRouter({
      nodeId: this.nodeId,
      presence: this.presence,
      deliverHere: (delivery) => this.delivery.toClient(delivery),
      forward: channel === undefined ? undefined : (nodeId, delivery) => channel.forward(nodeId, delivery),
      enqueue: (delivery) => this.enqueueOffline(delivery),
      metrics: this.metrics,
    });
    this.delivery = new LocalDelivery({
      broker: () => this.broker,
      registry: this.registry,
      namespaces: this.namespaces,
      metrics: this.metrics,
      router: this.router,
    });
    this.credentials = new CredentialRevalidation({ store: this.store, registry: this.registry, logger: this.logger, clock: this.clock });
  }

  get ports(): ListeningPorts | undefined {
    return this.listening;
  }

  /** Resolves when the Redis session store answers; immediately for the memory store (readiness). */
  async pingSessionStore(): Promise<void> {
    await this.sessionStore?.ping();
  }

  setForwarder(forwarder: PublishForwarder): void {
    this.forwarder = forwarder;
  }

  async start(): Promise<ListeningPorts> {
    if (this.broker !== undefined) throw new Error('gateway already started');
    const { config, deps, boundary } = this;
    const engines = (this.engines ??= await checkEngines(this.logger));
    const brokerId = brokerIdFor(config.nodeId);
    if (config.sessionStore === 'redis') {
      this.sessionStore = createRedisSessionStore(config.redisUrl!, this.logger);
      // Before createBroker: this listener must run before aedes' own on the same topic (aedes-adapter.ts).
      engines.aedes.watchRemoteTakeovers(this.sessionStore.takeoverEmitter, brokerId, () => this.broker, markTakeover(deps));
    }
    await this.presence.start();
    this.presenceWrites = [
      this.events.on('connected', (ctx) => void this.presence.connected(ctx).catch((err: unknown) => this.presenceFailed('connect', err))),
      this.events.on('disconnected', (ctx) => void this.presence.disconnected(ctx).catch((err: unknown) => this.presenceFailed('disconnect', err))),
    ];
    await this.nodeChannel?.start((msg) => this.routeForwarded(msg));
    const broker = await Aedes.createBroker({
      mq: this.sessionStore?.brokerOptions.mq ?? createMemoryEmitter(),
      persistence: this.boundedPersistence(engines),
      id: brokerId,
      connectTimeout: config.limits.connectTimeoutMs,
      // FleetMQ client IDs have up to 64 characters; MQTT 3.1's 23 would refuse them.
      maxClientsIdLength: MAX_CLIENT_ID_LENGTH,
      preConnect: boundary.preConnect(createPreConnectHook(deps)),
      authenticate: boundary.authenticate(createAuthenticateHook(deps)),
      authorizePublish: boundary.authorizePublish(createAuthorizePublishHook(deps)),
      authorizeSubscribe: boundary.authorizeSubscribe(createAuthorizeSubscribeHook(deps)),
      authorizeForward: boundary.authorizeForward(createAuthorizeForwardHook(deps)),
    });
    this.broker = broker;
    attachBrokerEvents(broker, engines.aedes, deps);
    this.sessionStore?.onReconnect(() => void this.restoreSubscriptions(broker, engines));
    this.backlogSweep = setInterval(() => deps.backlogs.sweep(), BACKLOG_SWEEP_MS);
    this.backlogSweep.unref();
    // On by default (FLEETMQ_HEAP_COMPACT_AFTER_CONNECTS=1000); with 0 start() does nothing.
    this.compactor = new HeapCompactor(
      { afterConnects: config.heapCompactAfterConnects },
      {
        acceptedConnections: () => this.accepted,
        openConnections: () => this.registry.size,
        collect: memoryReducingCollection,
        logger: this.logger,
        clock: this.clock,
      },
    );
    this.compactor.start();
    broker.on('closed', () => this.logger.debug('broker closed'));

    const handle = (stream: Duplex, transport: Transport, address: string, req?: IncomingMessage) => this.handleConnection(stream, transport, address, req);
    try {
      const opened = await openListeners(
        {
          ...config,
          connectTimeoutMs: config.limits.connectTimeoutMs,
          maxFrameBytes: Math.max(maxPacketBytes(config.limits), config.limits.preConnectMaxBytes) + WS_FRAME_OVERHEAD_BYTES,
        },
        handle,
      );
      this.listeners = opened.listeners;
      this.listening = opened.ports;
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.logger.info({ host: config.bindHost, ports: this.listening, anonymous: config.allowAnonymous, mqttPacketDebug: mqttPacketDebugState() }, 'MQTT gateway listening');
    return this.listening;
  }

  /**
   * After Redis came back (it may have restarted empty): the persistent sessions connected here
   * store their subscriptions again, so they still have them when they reconnect, here or on
   * another node. Retained messages, offline sessions and queues a restart lost stay lost
   * (docs/SCALING.md).
   */
  private async restoreSubscriptions(broker: Aedes, engines: Engines): Promise<void> {
    // A Redis that just came back may still refuse writes (loading, or the connection drops again):
    // tried a few times, a second apart, before the sessions are left to store them on reconnect.
    for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
      if (this.broker !== broker) return;
      try {
        const sessions = await withTimeout(engines.aedes.restoreSubscriptions(broker), RESTORE_ATTEMPT_TIMEOUT_MS);
        this.logger.info({ sessions, attempt }, 'Redis session store reconnected: subscriptions of the persistent sessions connected here stored again');
        return;
      } catch (err) {
        const last = attempt === RESTORE_ATTEMPTS;
        this.logger.warn({ err: String(err), attempt }, last ? 'Redis session store reconnected, but the subscriptions of connected sessions could not be stored again' : 'storing the subscriptions of connected sessions again failed; retrying');
        if (!last) await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS).unref());
      }
    }
  }

  /** The session store's persistence (Redis, or aedes' memory one) with FLEETMQ_OFFLINE_QUEUE_* bounds. */
  private boundedPersistence(engines: Engines): NonNullable<AedesOptions['persistence']> {
    const { metrics, rateLimitedLog } = this;
    return boundOfflineQueues(this.sessionStore?.brokerOptions.persistence ?? createMemoryPersistence(), this.config.offlineQueue, {
      clock: this.clock,
      storeIsLocal: this.sessionStore === undefined,
      sharedQueueEmpty: this.sessionStore?.queueEmpty,
      connectedHere: (clientId) => this.broker !== undefined && engines.aedes.connectedHere(this.broker, clientId),
      onDropped: (reason, clientId, dropped) => {
        metrics.offlineQueueDropped.labels(reason).inc(dropped);
        rateLimitedLog.warn(`offline-queue:${reason}`, { reason, clientId, dropped }, 'offline queue over its bound: oldest messages dropped');
      },
      onTrimFailed: (clientId, err) => rateLimitedLog.warn('offline-queue:trim-failed', { clientId, err: String(err) }, 'offline queue not trimmed: the session store did not answer'),
    });
  }

  /**
   * Graceful drain (SIGTERM): stops accepting at once, closes the open connections evenly over
   * `windowMs` so they reconnect to other nodes without a storm, then stop(). Each close goes
   * through the forwarder like any disconnect, so what was PUBACKed is already in the uplink.
   */
  async drain(windowMs: number): Promise<void> {
    for (const listener of this.listeners) listener.stopAccepting();
    // A snapshot: no new connection can join it, and one that ends by itself is closed twice harmlessly.
    const open = [...this.registry.states()];
    this.logger.info({ connections: open.length, windowMs }, 'draining: listeners closed, closing clients over the window');
    const started = Date.now();
    let closed = 0;
    while (closed < open.length) {
      const due = drainDueCount(open.length, Date.now() - started, windowMs);
      for (; closed < due; closed++) this.boundary.close('control', open[closed], 'drain');
      if (closed < open.length) await new Promise((resolve) => setTimeout(resolve, DRAIN_TICK_MS));
    }
    await this.stop();
  }

  /** Stops accepting, closes every client (wills are published), then the broker. */
  async stop(): Promise<void> {
    clearInterval(this.backlogSweep);
    this.compactor?.stop();
    const listeners = this.listeners;
    this.listeners = [];
    const closing = Promise.all(listeners.map((l) => l.close()));
    const broker = this.broker;
    this.broker = undefined;
    if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
    // After the broker closed every client: their disconnects are written before the directory goes.
    for (const off of this.presenceWrites.splice(0)) off();
    await this.nodeChannel?.stop();
    await this.presence.stop();
    const sessionStore = this.sessionStore;
    this.sessionStore = undefined;
    await sessionStore?.close();
    await closing;
    this.listening = undefined;
  }

  /** Downlink from Kafka: see gateway.ports.ts (d). */
  readonly deliver: DeliverFn = (delivery) => this.delivery.deliver(delivery);

  /** A P2P message a peer forwarded: delivered here, else queued or counted absent (never forwarded again). */
  private routeForwarded(delivery: P2PDelivery): void {
    this.router.route(delivery, false).catch((err: unknown) => this.rateLimitedLog.warn('p2p-forwarded', { err: String(err), instanceId: delivery.instanceId }, 'forwarded P2P message not delivered'));
  }

  private enqueueOffline(delivery: P2PDelivery): Promise<void> {
    const broker = this.broker;
    if (broker === undefined) return Promise.reject(new GatewayNotStartedError());
    const topic = this.namespaces.get(delivery.instanceId).wrap(delivery.topic);
    return enqueueOffline(broker, internalClientId(delivery.instanceId, delivery.targetClientId), { topic, payload: delivery.payload, qos: delivery.qos === 2 ? 2 : 1 });
  }

  private presenceFailed(op: 'connect' | 'disconnect', err: unknown): void {
    this.metrics.presenceErrors.labels(op).inc();
    this.rateLimitedLog.warn(`presence-${op}`, { err: String(err), op }, 'presence directory write failed');
  }

  private handleConnection(stream: Duplex, transport: Transport, remoteAddress: string, req?: IncomingMessage): void {
    const broker = this.broker;
    const engines = this.engines;
    if (broker === undefined || engines === undefined) {
      stream.destroy();
      return;
    }
    this.accepted++;
    let client: AedesClientInternals | undefined;
    try {
      client = broker.handle(stream, req) as AedesClientInternals;
      engines.aedes.slimClient(client);
      engines.aedes.coalesceWrites(client);
      // No listener or closure of its own per connection: aedes' 'clientDisconnect' disposes it
      // (broker-events.ts), and whatever else it holds goes with the client.
      const state = new ConnectionState(client, transport, remoteAddress, this.host);
      this.states.set(client, state);
      engines.mqttPacket.guardParser(client, this.config.limits, state);
    } catch (err) {
      // The engine boundary of the listeners: this socket goes, the server keeps accepting.
      this.boundary.contain('listener', client, err);
      stream.destroy();
    }
  }
}

export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}

