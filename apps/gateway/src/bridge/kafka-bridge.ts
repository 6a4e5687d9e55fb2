import type { FleetMqConfig, Logger } from '#config';
import type { GatewayStateRepositories } from '#domain/persistence';
import type { DownlinkSink, Messaging, PresenceSink, UplinkSink } from '#messaging';
import type { GatewayPorts } from '../gateway.ports.js';
import { NodeHeartbeat } from '../state/node-heartbeat.js';
import { SessionTracker } from '../state/session-tracker.js';
import { TrafficCounters } from '../state/traffic-counters.js';
import { BridgeMetrics } from './bridge.metrics.js';
import { ControlBridge } from './control.bridge.js';
import { DownlinkBridge } from './downlink.bridge.js';
import { KafkaPublishForwarder } from './kafka-publish-forwarder.js';
import { P2PRelayForwarder } from './p2p-relay.forwarder.js';
import { PresenceBridge } from './presence.bridge.js';

export interface KafkaBridgeOptions {
  gateway: GatewayPorts;
  messaging: Messaging;
  /** Session, node and traffic rows (createGatewayStateRepositories in #domain/persistence). */
  state: GatewayStateRepositories;
  config: Pick<FleetMqConfig, 'nodeId' | 'mqttPort' | 'sessionFlushMs' | 'heartbeatMs' | 'sessionStore' | 'downlinkGroup'>;
  logger: Logger;
  /** Time the uplink gets at shutdown to have its queued records acknowledged. */
  drainTimeoutMs?: number;
}

/**
 * Plugs the gateway core into Kafka and PostgreSQL: uplink forwarder, downlink delivery,
 * presence + session rows, control commands, node heartbeat and traffic rows.
 *
 *   const bridge = new KafkaBridge({ gateway, messaging, state: createGatewayStateRepositories(dataSource), config, logger });
 *   await bridge.start();   // before gateway.start(): the forwarder and the node row must be in place
 *   ...
 *   await gateway.stop();   // stop accepting, close clients (their disconnects are recorded)
 *   await bridge.stop();    // consumers, drain uplink (kafkajs#879), presence, then state
 */
export class KafkaBridge {
  readonly metrics = new BridgeMetrics();
  readonly traffic = new TrafficCounters();
  readonly tracker: SessionTracker;
  private readonly heartbeat: NodeHeartbeat;
  private readonly uplink: UplinkSink;
  private readonly presenceSink: PresenceSink;
  private readonly forwarder: KafkaPublishForwarder;
  /** Devices' P2P messages for targets on other nodes; stopped with `messaging` (the console may share it). */
  private readonly p2pRelay: DownlinkSink;
  private readonly relayingForwarder: P2PRelayForwarder;
  private readonly presence: PresenceBridge;
  private readonly downlink: DownlinkBridge;
  private readonly control: ControlBridge;
  private readonly log: Logger;
  private sampler: NodeJS.Timeout | null = null;
  private state: 'new' | 'started' | 'stopped' = 'new';

  constructor(private readonly opts: KafkaBridgeOptions) {
    const { gateway, messaging, state, config } = opts;
    this.log = opts.logger.child({ component: 'kafka-bridge' });
    const sessions = state.sessions;
    this.tracker = new SessionTracker({ repo: sessions, nodeId: config.nodeId, flushMs: config.sessionFlushMs, logger: this.log });
    this.heartbeat = new NodeHeartbeat({
      nodeId: config.nodeId,
      mqttPort: () => gateway.ports?.mqtt ?? config.mqttPort,
      heartbeatMs: config.heartbeatMs,
      nodes: state.nodes,
      sessions,
      traffic: state.traffic,
      counters: this.traffic,
      tracker: this.tracker,
      logger: this.log,
      onSweep: (marked) => this.metrics.sessionsSwept.inc(marked),
    });
    this.uplink = messaging.uplink();
    this.presenceSink = messaging.presence();
    this.forwarder = new KafkaPublishForwarder(this.uplink, this.metrics, this.traffic, this.log);
    this.p2pRelay = messaging.downlinkSink();
    this.relayingForwarder = new P2PRelayForwarder(this.forwarder, gateway.registry, this.p2pRelay, this.metrics, this.log);
    this.presence = new PresenceBridge({
      events: gateway.events,
      registry: gateway.registry,
      tracker: this.tracker,
      presence: this.presenceSink,
      traffic: this.traffic,
      metrics: this.metrics,
      nodeId: config.nodeId,
    });
    // Redis session store: one group for the tier, each record read once (the emitter and the node channel reach the other nodes).
    const downlinkGroup = config.sessionStore === 'redis' ? config.downlinkGroup : undefined;
    this.downlink = new DownlinkBridge(messaging.downlinkSource(downlinkGroup), gateway.deliver, this.traffic, this.metrics, this.log);
    this.control = new ControlBridge(messaging.control(), gateway.registry, gateway.credentials, this.metrics, this.log);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    await this.heartbeat.start();
    this.tracker.start();
    await this.uplink.start();
    await this.presenceSink.start();
    await this.p2pRelay.start();
    this.opts.gateway.setForwarder(this.relayingForwarder);
    this.presence.attach();
    await Promise.all([this.downlink.start(), this.control.start()]);
    this.sampler = setInterval(() => this.forwarder.sampleQueue(), 1000);
    this.sampler.unref();
    this.log.info({ nodeId: this.opts.config.nodeId }, 'kafka bridge started');
  }

  async stop(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'stopped';
    if (this.sampler !== null) clearInterval(this.sampler);
    await Promise.allSettled([this.downlink.stop(), this.control.stop()]);
    // Disconnects of the clients just closed need their epochs before their presence events can go.
    await this.tracker.settle();
    await this.uplink.stop(this.opts.drainTimeoutMs ?? 30_000);
    this.forwarder.close();
    await this.presenceSink.stop(5_000);
    this.presence.detach();
    await this.tracker.stop();
    await this.heartbeat.stop();
    this.log.info('kafka bridge stopped');
  }
}
