import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { keyAllowsAction } from '#auth';
import type { FleetMqConfig, Logger } from '#config';
import { MAX_CLIENT_ID_LENGTH, validateTopicName } from '#domain';
import type { CredentialLookupRepository } from '#domain/persistence';
import { AuthFailureLimiter } from './auth/auth-failure-limiter.js';
import { Authenticator } from './auth/authenticator.js';
import { CredentialStore } from './auth/credential-store.js';
import { GatewayEventBus } from './gateway.events.js';
import {
  IMMEDIATE_FORWARDER,
  type ClientContext,
  type CredentialInvalidation,
  type DeliveryResult,
  type GatewayPorts,
  type ListeningPorts,
  type PublishForwarder,
  type QoS,
  type Transport,
} from './gateway.ports.js';
import type { AedesClientInternals } from './engine/aedes-adapter.js';
import { checkEngines, type Engines } from './engine/engines.js';
import { maxPacketBytes, type Violation } from './guards/packet-guards.js';
import { PublishGate } from './guards/publish-gate.js';
import { RefusalReporter } from './guards/refusal-reporter.js';
import { TokenBucket } from './guards/token-bucket.js';
import { createAuthenticateHook, createPreConnectHook } from './hooks/authenticate.hook.js';
import { BACKLOG_SWEEP_MS, createAuthorizeForwardHook, sweepBacklogs } from './hooks/authorize-forward.hook.js';
import { createAuthorizePublishHook } from './hooks/authorize-publish.hook.js';
import { createAuthorizeSubscribeHook } from './hooks/authorize-subscribe.hook.js';
import { attachBrokerEvents } from './hooks/broker-events.js';
import { EngineBoundary } from './hooks/engine-boundary.js';
import type { HookDeps } from './hooks/hook-deps.js';
import { RateLimitedLog } from './logging/rate-limited-log.js';
import { listenTcp, listenTls, listenWebSocket, type Listener } from './listeners/listeners.js';
import { gatewayMetrics, type GatewayMetrics } from './metrics/gateway.metrics.js';
import { LocalConnectionRegistry } from './session/connection-registry.js';
import { ConnectionState, type ConnectionHost } from './session/connection-state.js';
import { HeapCompactor, memoryReducingCollection } from './state/heap-compactor.js';
import { Namespace } from './tenancy/namespace.js';

export interface GatewayOptions {
  config: FleetMqConfig;
  /** Credential lookups (TypeOrmCredentialLookupRepository with the process's SecretBox). */
  credentials: CredentialLookupRepository;
  logger: Logger;
  /** Defaults to IMMEDIATE_FORWARDER (no Kafka). */
  forwarder?: PublishForwarder;
  clock?: () => number;
}

// After an invalidation, connections are re-checked against fresh data; these mark "still valid".
type StillValid = (ctx: ClientContext) => Promise<boolean>;

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
  private readonly clock: () => number;
  private forwarder: PublishForwarder;
  private broker: Aedes | undefined;
  /** aedes and mqtt-packet, checked at start (engine/): their patches, or none. */
  private engines: Engines | undefined;
  private listeners: Listener[] = [];
  private listening: ListeningPorts | undefined;
  private readonly namespaces = new Map<string, Namespace>();
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
    const rateLimitedLog = new RateLimitedLog(this.logger, 10_000, this.clock);
    this.boundary = new EngineBoundary(this.states, this.metrics, rateLimitedLog);
    // Kicks and credential re-checks close connections from the control bridge's Kafka handler.
    this.registry = new LocalConnectionRegistry((state, reason) => this.boundary.close('control', state, reason));
    this.refusals = new RefusalReporter(this.metrics, rateLimitedLog);
    this.host = {
      onViolation: (state, kind) => this.onViolation(state, kind),
      createGate: () => new PublishGate(maxInflight, rate > 0 ? new TokenBucket(rate, this.clock) : undefined),
      onCrash: (state, err) => this.boundary.contain('parser', state.client, err),
    };
    this.deps = {
      config: this.config,
      logger: this.logger,
      metrics: this.metrics,
      states: this.states,
      registry: this.registry,
      events: this.events,
      store: this.store,
      authenticator: new Authenticator(this.store, this.config.allowAnonymous, this.clock),
      boundary: this.boundary,
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
      deliverP2P: (instanceId, target, topic, payload, qos) => this.deliverP2P(instanceId, target, topic, payload, qos),
      namespace: (instanceId) => this.namespace(instanceId),
      clock: this.clock,
    };
    this.credentials = {
      invalidateToken: (hash) => this.revalidate(() => this.store.invalidateToken(hash), (c) => c.credential.tokenHashes.includes(hash), (c) => this.tokensStillValid(c)),
      invalidateAccessKey: (id) =>
        this.revalidate(() => this.store.invalidateAccessKey(id), (c) => c.credential.accessKeyId === id, (c) => this.keyStillValid(c)),
      invalidateDeviceCredential: (id) =>
        this.revalidate(() => this.store.invalidateDeviceCredential(id), (c) => c.credential.deviceAccessKeyId === id, (c) => this.deviceStillValid(c)),
      invalidateInstance: (id) => this.store.invalidateInstance(id),
      dropInstance: (id) => this.dropInstance(id),
    };
  }

  get ports(): ListeningPorts | undefined {
    return this.listening;
  }

  setForwarder(forwarder: PublishForwarder): void {
    this.forwarder = forwarder;
  }

  async start(): Promise<ListeningPorts> {
    if (this.broker !== undefined) throw new Error('gateway already started');
    const { config, deps, boundary } = this;
    const engines = (this.engines ??= await checkEngines(this.logger));
    const broker = await Aedes.createBroker({
      id: config.nodeId,
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
    this.backlogSweep = setInterval(() => sweepBacklogs(deps), BACKLOG_SWEEP_MS);
    this.backlogSweep.unref();
    // Off unless FLEETMQ_HEAP_COMPACT_AFTER_CONNECTS is set: start() does nothing then.
    this.compactor = new HeapCompactor(
      { afterConnects: config.heapCompactAfterConnects },
      () => this.accepted,
      () => this.registry.size,
      memoryReducingCollection,
      this.logger,
      this.clock,
    );
    this.compactor.start();
    broker.on('closed', () => this.logger.debug('broker closed'));

    const handle = (stream: Duplex, transport: Transport, address: string, req?: IncomingMessage) => this.handleConnection(stream, transport, address, req);
    const host = config.bindHost;
    try {
      const mqtt = await listenTcp(config.mqttPort, host, handle);
      this.listeners.push(mqtt);
      let mqtts: Listener | undefined;
      if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
        mqtts = await listenTls(config.mqttsPort, host, { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }, config.limits.connectTimeoutMs, handle);
        this.listeners.push(mqtts);
      }
      const frame = Math.max(maxPacketBytes(config.limits), config.limits.preConnectMaxBytes) + 16;
      const ws = await listenWebSocket(config.wsPort, host, config.wsPath, frame, handle);
      this.listeners.push(ws);
      this.listening = { mqtt: mqtt.port, mqtts: mqtts?.port, ws: ws.port };
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.logger.info({ host, ports: this.listening, anonymous: config.allowAnonymous }, 'MQTT gateway listening');
    return this.listening;
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
    await closing;
    this.listening = undefined;
  }

  /** Downlink from Kafka: see gateway.ports.ts (d). */
  readonly deliver = async (
    instanceId: string,
    topic: string,
    payload: Buffer,
    qos: QoS,
    retain: boolean,
    targetClientId?: string,
  ): Promise<DeliveryResult> => {
    const broker = this.broker;
    if (broker === undefined) throw new Error('gateway not started');
    if (validateTopicName(topic, 65535) !== null || topic.charCodeAt(0) === 0x24) throw new Error(`invalid downlink topic: ${topic}`);
    if (targetClientId !== undefined) {
      return this.deliverP2P(instanceId, targetClientId, topic, payload, qos) ? 'delivered' : 'not-connected';
    }
    const ns = this.namespace(instanceId);
    await new Promise<void>((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic: ns.wrap(topic), payload, qos, retain, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
    this.metrics.deliveries.labels('broadcast').inc();
    return 'published';
  };

  private deliverP2P(instanceId: string, targetClientId: string, topic: string, payload: Buffer, qos: QoS): boolean {
    const target = this.registry.state(instanceId, targetClientId);
    if (target === undefined || target.client.closed) {
      this.metrics.deliveries.labels('p2p-not-connected').inc();
      return false;
    }
    target.client.publish({ cmd: 'publish', topic: this.namespace(instanceId).wrap(topic), payload, qos, retain: false, dup: false }, noop);
    this.metrics.deliveries.labels('p2p').inc();
    return true;
  }

  private namespace(instanceId: string): Namespace {
    let ns = this.namespaces.get(instanceId);
    if (ns === undefined) {
      ns = new Namespace(instanceId);
      if (this.namespaces.size > 10_000) this.namespaces.clear();
      this.namespaces.set(instanceId, ns);
    }
    return ns;
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

  private onViolation(state: ConnectionState, kind: Violation): void {
    this.metrics.protocolViolations.labels(kind).inc();
    const limits = this.config.limits;
    if (kind === 'oversize' || kind === 'will-oversize') {
      this.metrics.oversize.inc();
      // Before CONNACK the lower pre-CONNECT cap applies to every packet (packet-guards.ts).
      if (kind === 'oversize' && !state.connected()) this.refusals.report('oversize', 'FLEETMQ_PRECONNECT_MAX_BYTES', state, { limitValue: limits.preConnectMaxBytes });
      else this.refusals.report('oversize', 'FLEETMQ_MAX_PAYLOAD_BYTES', state, { limitValue: limits.maxPayloadBytes });
    } else if (kind === 'pre-connect-bytes') {
      this.refusals.report('pre-connect-bytes', 'FLEETMQ_PRECONNECT_MAX_BYTES', state, { limitValue: limits.preConnectMaxBytes });
    } else {
      this.refusals.violation(kind, state);
    }
  }

  private async revalidate(drop: () => void, uses: (ctx: ClientContext) => boolean, stillValid: StillValid): Promise<number> {
    drop();
    const affected = this.registry.list().filter(uses);
    let closed = 0;
    for (const ctx of affected) {
      let valid: boolean;
      try {
        valid = await stillValid(ctx);
      } catch (err) {
        // Database down: keep the connection; the next invalidation or the token expiry will decide.
        this.logger.warn({ err, instanceId: ctx.instanceId, clientId: ctx.clientId }, 'credential re-check failed');
        continue;
      }
      if (!valid && this.registry.close(ctx.instanceId, ctx.clientId, 'auth-expired')) closed++;
    }
    if (closed > 0) this.logger.info({ closed }, 'closed connections after a credential change');
    return closed;
  }

  private dropInstance(instanceId: string): number {
    this.store.forgetInstance(instanceId);
    const closed = this.registry.closeWhere((ctx) => ctx.instanceId === instanceId, 'auth-expired');
    if (closed > 0) this.logger.info({ instanceId, closed }, 'closed connections of a deleted instance');
    return closed;
  }

  private async keyStillValid(ctx: ClientContext): Promise<boolean> {
    const key = await this.store.accessKey(ctx.instanceId, ctx.credential.accessKeyId!);
    if (key === null || !key.enabled) return false;
    const identity = ctx.identity;
    if (identity.kind === 'access-key') return identity.permission === key.permission;
    // A token connection keeps only the actions its key still has (authenticator.ts intersects them).
    if (identity.kind === 'token') {
      return (identity.read === undefined || keyAllowsAction(key.permission, 'R')) && (identity.write === undefined || keyAllowsAction(key.permission, 'W'));
    }
    return true;
  }

  private async tokensStillValid(ctx: ClientContext): Promise<boolean> {
    const now = this.clock();
    for (const hash of ctx.credential.tokenHashes) {
      const token = await this.store.token(hash);
      if (token === null || token.revoked || token.expiresAt <= now) return false;
    }
    return this.keyStillValid(ctx);
  }

  private async deviceStillValid(ctx: ClientContext): Promise<boolean> {
    const dc = await this.store.deviceCredential(ctx.credential.deviceAccessKeyId!);
    return dc !== null && dc.instanceId === ctx.instanceId && dc.clientId === ctx.clientId;
  }
}

export function createGateway(options: GatewayOptions): Gateway {
  return new Gateway(options);
}

function noop(): void {}
