import type { Admin, Kafka } from 'kafkajs';
import type { Logger, UplinkSettings } from '#config';
import type { ControlChannel, DownlinkSink, DownlinkSource, Messaging, PresenceSink, UplinkSink } from '../ports.js';
import { INTERNAL_TOPICS } from '../topics.js';
import { KafkaControlChannel } from './control-channel.js';
import { DlqPublisher } from './dlq-publisher.js';
import { DownlinkConsumer } from './downlink-consumer.js';
import { DownlinkPublisher } from './downlink-publisher.js';
import { createKafka, ensureTopics, producerFactory } from './kafka-factory.js';
import { ManagedProducer } from './managed-producer.js';
import { PresencePublisher } from './presence-publisher.js';
import { UplinkProducer, uplinkRequestsInFlight } from './uplink-producer.js';
import { createWorkerUplink } from './uplink-worker/worker-uplink-factory.js';

export interface KafkaMessagingOptions {
  brokers: readonly string[];
  role: string;
  nodeId: string;
  partitions: number;
  replicationFactor: number;
  createTopics: boolean;
  uplink: UplinkSettings;
  logger: Logger;
}

interface Stoppable {
  stop(): Promise<void>;
}

/** Messaging over Kafka; components are made on first use and stopped together, uplink first. */
export class KafkaMessaging implements Messaging {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  private readonly log: Logger;
  private uplinkProducer: UplinkSink | undefined;
  private presencePublisher: PresencePublisher | undefined;
  private downlinkPublisher: DownlinkPublisher | undefined;
  private shared: ManagedProducer | undefined;
  private readonly consumers: Stoppable[] = [];
  /** Kept connected between readiness probes; one probe at a time. */
  private pingAdmin: Admin | undefined;
  private pingInFlight: Promise<void> | undefined;

  constructor(private readonly opts: KafkaMessagingOptions) {
    this.log = opts.logger.child({ component: 'messaging' });
    this.kafka = createKafka({ brokers: opts.brokers, clientId: `fleetmq-${opts.role}-${opts.nodeId}`, logger: opts.logger });
  }

  async start(): Promise<void> {
    if (!this.opts.createTopics) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, INTERNAL_TOPICS, this.opts.partitions, this.opts.replicationFactor);
      if (created.length > 0) this.log.info({ topics: created, partitions: this.opts.partitions }, 'created kafka topics');
    } finally {
      await admin.disconnect();
    }
  }

  ping(): Promise<void> {
    this.pingInFlight ??= this.describeCluster().finally(() => (this.pingInFlight = undefined));
    return this.pingInFlight;
  }

  private async describeCluster(): Promise<void> {
    const admin = (this.pingAdmin ??= this.kafka.admin());
    try {
      await admin.connect();
      await admin.describeCluster();
    } catch (error) {
      this.pingAdmin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    // Uplink first: what devices sent must reach Kafka before anything else goes away.
    await this.uplinkProducer?.stop();
    await this.presencePublisher?.stop(5_000);
    for (const c of this.consumers.splice(0)) await c.stop().catch((e: unknown) => this.log.warn({ err: e }, 'consumer stop failed'));
    await this.downlinkPublisher?.stop();
    await this.shared?.stop();
    await this.pingAdmin?.disconnect().catch(() => undefined);
  }

  uplink(): UplinkSink {
    // One lane per partition of the uplink topic (as created), each with at most one batch in
    // flight; requests carry every idle lane's batch together. In a worker thread, the same
    // producer with a kafkajs client of its own.
    if (this.opts.uplink.thread === 'worker') {
      this.uplinkProducer ??= createWorkerUplink({
        brokers: [...this.opts.brokers],
        clientId: `fleetmq-${this.opts.role}-${this.opts.nodeId}-uplink`,
        nodeId: this.opts.nodeId,
        partitions: this.opts.partitions,
        uplink: this.opts.uplink,
        logger: this.log,
      });
      return this.uplinkProducer;
    }
    this.uplinkProducer ??= new UplinkProducer({
      createProducer: producerFactory(this.kafka, { maxInFlightRequests: uplinkRequestsInFlight(this.opts.partitions, this.opts.uplink) }),
      logger: this.log,
      nodeId: this.opts.nodeId,
      lanes: this.opts.partitions,
      ...this.opts.uplink,
    });
    return this.uplinkProducer;
  }

  downlinkSink(): DownlinkSink {
    this.downlinkPublisher ??= new DownlinkPublisher(new ManagedProducer(producerFactory(this.kafka)));
    return this.downlinkPublisher;
  }

  downlinkSource(groupId?: string): DownlinkSource {
    const consumer = new DownlinkConsumer({
      kafka: this.kafka,
      nodeId: this.opts.nodeId,
      groupId,
      logger: this.log,
      dlq: new DlqPublisher(this.sharedProducer()),
      partitions: this.opts.partitions,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  presence(): PresenceSink {
    this.presencePublisher ??= new PresencePublisher({ createProducer: producerFactory(this.kafka), logger: this.log });
    return this.presencePublisher;
  }

  control(role: string = this.opts.role): ControlChannel {
    const channel = new KafkaControlChannel({
      kafka: this.kafka,
      producer: this.sharedProducer(),
      role,
      nodeId: this.opts.nodeId,
      logger: this.log,
    });
    this.consumers.push(channel);
    return channel;
  }

  /** Low-rate sends (control, DLQ) share one producer. */
  private sharedProducer(): ManagedProducer {
    this.shared ??= new ManagedProducer(producerFactory(this.kafka));
    return this.shared;
  }
}
