import type { Registry } from 'prom-client';
import type { Logger } from '#config';
import { DEFAULT_MAX_TOPIC_LENGTH, type RuleSet } from '#domain';
import type { RuleCounterRepository, RuleSourceRepository } from '#domain/persistence';
import {
  DLQ_TOPIC,
  DOWNLINK_TOPIC,
  ensureTopics,
  kafkaClient,
  PRESENCE_TOPIC,
  UPLINK_TOPIC,
  type ControlChannel,
  type Kafka,
  type KafkaClient,
  type ProducerFactory,
  type TopicAdmin,
} from '#messaging';
import { BatchPipeline } from './batch-pipeline.js';
import { DEFAULT_TUNING, FlowConsumer, type ConsumerTuning } from './flow-consumer.js';
import { InflowManager } from './inflow-manager.js';
import { outflowPlanner, statusPlanner, type PlannerContext } from './planners.js';
import { RouterProducer } from './produce.js';
import { RuleCounters } from './rule-counters.js';
import { RuleRegistry } from './rule-registry.js';
import { RouterMetrics, type Flow } from './router-metrics.js';
import { SeenSet } from './seen-set.js';
import { TopicProvisioner } from './topic-provisioner.js';

export interface RuleRouterOptions {
  /** Row key of this router in rule_counters: FLEETMQ_NODE_ID, else host + pid. */
  routerId: string;
  outflowGroupId: string;
  statusGroupId: string;
  /** Inflow rule groups are `<prefix><ruleId>`. */
  inflowGroupPrefix: string;
  /**
   * Where the outflow and status groups start on a partition they have no committed offset for:
   * its beginning, or (false, the default) the first record produced after this router was
   * created, so a new deployment does not replay history. An inflow rule's group always starts
   * at the rule's creation time.
   */
  fromBeginning: boolean;
  /** FLEETMQ_KAFKA_CREATE_TOPICS: create missing target/source topics, else DLQ 'unknown-topic'. */
  createTopics: boolean;
  partitions: number;
  replicationFactor: number;
  maxTopicLength: number;
  rulesPollMs: number;
  countersFlushMs: number;
  /** Records per produce round trip. */
  chunkSize: number;
  /** How long a stopping router retries an unacknowledged chunk (Kafka down) before giving it up uncommitted. */
  stopGraceMs: number;
  /** (rule, msgId) pairs remembered for duplicate detection. */
  seenCapacity: number;
  tuning: ConsumerTuning;
  /** Which flows this process runs (all by default). */
  flows: Record<Flow, boolean>;
}

export const DEFAULT_ROUTER_OPTIONS: Omit<RuleRouterOptions, 'routerId'> = {
  outflowGroupId: 'fleetmq-rule-router',
  statusGroupId: 'fleetmq-status-router',
  inflowGroupPrefix: 'fleetmq-inflow-',
  fromBeginning: false,
  createTopics: true,
  partitions: 6,
  replicationFactor: 1,
  maxTopicLength: DEFAULT_MAX_TOPIC_LENGTH,
  rulesPollMs: 5_000,
  countersFlushMs: 5_000,
  chunkSize: 1_000,
  stopGraceMs: 10_000,
  seenCapacity: 200_000,
  tuning: DEFAULT_TUNING,
  flows: { outflow: true, inflow: true, status: true },
};

export interface RuleRouterDeps {
  /** A client from createKafka; the router uses it through the #messaging ports (kafkaClient). */
  kafka: Kafka;
  ruleSource: RuleSourceRepository;
  ruleCounters: RuleCounterRepository;
  /** Delivers `rules-changed`; without it the router relies on polling alone. */
  control?: ControlChannel | null;
  logger: Logger;
  metricsRegistry: Registry;
  /** Defaults to kafkajs producers with acks=all and one request in flight per concurrent partition. */
  producers?: ProducerFactory;
  options: Partial<RuleRouterOptions> & Pick<RuleRouterOptions, 'routerId'>;
}

/**
 * The rule router: outflow (fleetmq.uplink -> backend topics), inflow (backend topics ->
 * fleetmq.downlink) and status (fleetmq.presence -> backend topics), with rules reloaded live.
 * Runs standalone (main.ts) or inside the all-in-one process (apps/fleetmq, constructed directly).
 */
export class RuleRouter {
  readonly options: RuleRouterOptions;
  readonly rules: RuleRegistry;
  readonly counters: RuleCounters;
  readonly metrics: RouterMetrics;
  readonly seen: SeenSet;
  private readonly logger: Logger;
  private readonly admin: TopicAdmin;
  private readonly producer: RouterProducer;
  private readonly provisioner: TopicProvisioner;
  private readonly inflow: InflowManager;
  readonly outflowConsumer: FlowConsumer;
  readonly statusConsumer: FlowConsumer;
  private stoppingSince: number | null = null;
  private started = false;

  constructor(private readonly deps: RuleRouterDeps) {
    const o: RuleRouterOptions = { ...DEFAULT_ROUTER_OPTIONS, ...deps.options, tuning: { ...DEFAULT_TUNING, ...deps.options.tuning } };
    this.options = o;
    this.logger = deps.logger.child({ component: 'rule-router', routerId: o.routerId });
    this.metrics = new RouterMetrics(deps.metricsRegistry);
    this.rules = new RuleRegistry(deps.ruleSource, this.logger, { maxTopicLength: o.maxTopicLength });
    this.counters = new RuleCounters(deps.ruleCounters, o.routerId, this.logger);
    this.seen = new SeenSet(o.seenCapacity);
    const kafka: KafkaClient = kafkaClient(deps.kafka);
    this.admin = kafka.admin();
    this.provisioner = new TopicProvisioner(
      this.admin,
      { create: o.createTopics, partitions: o.partitions, replicationFactor: o.replicationFactor, recheckMs: o.rulesPollMs },
      this.logger,
    );
    const pipeline = (flow: Flow, seen?: SeenSet): BatchPipeline =>
      new BatchPipeline({
        flow,
        producer: this.producer,
        provisioner: this.provisioner,
        counters: this.counters,
        metrics: this.metrics,
        seen,
        chunkSize: o.chunkSize,
        stopGraceMs: o.stopGraceMs,
        stopping: () => this.stoppingSince,
      });
    const retries = this.metrics.produceRetries;
    // One request in flight per concurrently handled partition: order only matters per source
    // partition, whose pipeline never has two sends outstanding, so partitions need not queue
    // behind each other's round trips.
    const producers = deps.producers ?? kafka.producers({ maxInFlightRequests: o.tuning.partitionsConsumedConcurrently });
    this.producer = new RouterProducer(producers, () => retries.inc());
    const planner = (flow: Flow, seen?: SeenSet): PlannerContext => ({
      rules: () => this.rules.current(),
      counters: this.counters,
      maxTopicLength: o.maxTopicLength,
      onDuplicate: () => this.metrics.duplicates.inc({ flow }),
      seen,
    });
    const startAt = o.fromBeginning ? undefined : Date.now();
    this.outflowConsumer = new FlowConsumer(
      kafka,
      this.admin,
      { groupId: o.outflowGroupId, topic: UPLINK_TOPIC, startAt, tuning: o.tuning },
      pipeline('outflow', this.seen),
      outflowPlanner(planner('outflow', this.seen)),
      this.logger,
    );
    this.statusConsumer = new FlowConsumer(
      kafka,
      this.admin,
      { groupId: o.statusGroupId, topic: PRESENCE_TOPIC, startAt, tuning: o.tuning },
      pipeline('status'),
      statusPlanner(planner('status')),
      this.logger,
    );
    this.inflow = new InflowManager(
      kafka,
      this.admin,
      pipeline('inflow'),
      planner('inflow'),
      this.provisioner,
      { groupPrefix: o.inflowGroupPrefix, tuning: o.tuning, retryMs: o.rulesPollMs },
      this.logger,
      (n) => this.metrics.inflowConsumers.set(n),
    );
    this.rules.on('changed', (rules) => this.onRulesChanged(rules));
  }

  async start(): Promise<void> {
    const o = this.options;
    await this.counters.start(o.countersFlushMs);
    await this.rules.start(o.rulesPollMs);
    await this.admin.connect();
    if (o.createTopics) await ensureTopics(this.admin, [UPLINK_TOPIC, DOWNLINK_TOPIC, PRESENCE_TOPIC, DLQ_TOPIC], o.partitions, o.replicationFactor);
    await this.producer.start();
    this.gateFlows(this.rules.current());
    if (o.flows.outflow) await this.outflowConsumer.start();
    if (o.flows.status) await this.statusConsumer.start();
    this.started = true;
    if (o.flows.inflow) await this.inflow.reconcile(this.rules.current());
    await this.provisionTargets(this.rules.current());
    await this.deps.control?.start((command) => {
      if (command.type === 'rules-changed') void this.rules.reload();
    });
    this.logger.info({ rules: this.rules.current().rules.length }, 'rule router started');
  }

  /** Finishes the batches in hand (up to stopGraceMs when Kafka does not answer), commits, disconnects. */
  async stop(): Promise<void> {
    if (this.stoppingSince !== null) return;
    this.stoppingSince = Date.now();
    this.rules.stop();
    await this.deps.control?.stop().catch((err) => this.logger.warn({ err }, 'control channel stop failed'));
    await Promise.all([
      this.outflowConsumer.stop().catch((err) => this.logger.warn({ err }, 'outflow consumer stop failed')),
      this.statusConsumer.stop().catch((err) => this.logger.warn({ err }, 'status consumer stop failed')),
      this.inflow.stop(),
    ]);
    await this.producer.stop();
    await this.counters.stop();
    await this.admin.disconnect().catch(() => undefined);
    this.started = false;
    this.logger.info('rule router stopped');
  }

  /** Running and not stopping: for /health. */
  get healthy(): boolean {
    return this.started && this.stoppingSince === null;
  }

  /** The inflow consumer of a rule, when running (tests, diagnostics). */
  inflowConsumer(ruleId: string): FlowConsumer | undefined {
    return this.inflow.consumer(ruleId);
  }

  private onRulesChanged(rules: RuleSet): void {
    this.metrics.reloads.inc();
    const kinds = { outflow: 0, inflow: 0, status: 0 };
    for (const rule of rules.rules) if (rule.enabled) kinds[rule.kind]++;
    for (const [kind, n] of Object.entries(kinds)) this.metrics.rules.set({ kind }, n);
    this.gateFlows(rules);
    if (this.options.flows.inflow && this.stoppingSince === null && this.started) void this.inflow.reconcile(rules);
    if (this.started && this.stoppingSince === null) void this.provisionTargets(rules);
  }

  /**
   * Outflow and status consume only while an enabled rule of their kind exists. A rule created
   * while its flow was paused gets the records produced since its creation; re-enabling an older
   * rule resumes from now (the paused time is skipped, as a running flow drops what no rule wants).
   */
  private gateFlows(rules: RuleSet): void {
    for (const [kind, consumer] of [['outflow', this.outflowConsumer], ['status', this.statusConsumer]] as const) {
      const enabled = rules.rules.filter((r) => r.enabled && r.kind === kind);
      if (enabled.length === 0) {
        consumer.want(false);
        continue;
      }
      if (consumer.isWanted) continue;
      const pausedAt = consumer.unwantedAt;
      const created = enabled.map((r) => r.createdAt).filter((t) => t > pausedAt);
      consumer.want(true, created.length > 0 ? Math.min(...created) : Date.now());
    }
  }

  /**
   * Creates the target topics of enabled outflow and status rules as soon as the rules appear,
   * so a backend can subscribe before the first device message (not only at first route).
   */
  private async provisionTargets(rules: RuleSet): Promise<void> {
    const targets = new Set<string>();
    for (const rule of rules.rules) if (rule.enabled && rule.kind !== 'inflow') targets.add(rule.target.kafkaTopic);
    if (targets.size === 0) return;
    try {
      await this.provisioner.unavailable(targets);
    } catch (err) {
      this.logger.warn({ err }, 'provisioning rule target topics failed; retried at first route');
    }
  }
}
