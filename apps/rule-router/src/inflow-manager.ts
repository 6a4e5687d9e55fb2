import type { Logger } from '#config';
import type { RuleSet } from '#domain';
import type { KafkaClient, TopicAdmin } from '#messaging';
import type { BatchPipeline } from './batch-pipeline.js';
import { FlowConsumer, type ConsumerTuning } from './flow-consumer.js';
import { inflowPlanner, type PlannerContext } from './planners.js';
import type { TopicProvisioner } from './topic-provisioner.js';

export interface InflowManagerOptions {
  groupPrefix: string;
  tuning: ConsumerTuning;
  /** Delay before trying again to start a consumer whose source topic is missing. */
  retryMs: number;
}

interface Running {
  topic: string;
  consumer: FlowConsumer;
}

/**
 * One consumer group per enabled inflow rule (`fleetmq-inflow-<ruleId>`), started and stopped as
 * rules appear, disappear or are toggled. Reconciliations run one at a time; the latest rule set
 * always wins. A group starts at its rule's creation time (FlowConsumer commits that position at
 * its first join), so a rule delivers every record produced after it was created: before the
 * first router joined, while routers were down, while it was disabled, or before its source
 * topic existed. A disabled rule keeps its committed offsets: enabling it again resumes there.
 */
export class InflowManager {
  private readonly running = new Map<string, Running>();
  private chain: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private latest: RuleSet | null = null;
  private stopped = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: TopicAdmin,
    private readonly pipeline: BatchPipeline,
    private readonly planner: PlannerContext,
    private readonly provisioner: TopicProvisioner,
    private readonly options: InflowManagerOptions,
    private readonly logger: Logger,
    private readonly onCount: (n: number) => void,
  ) {}

  /** Brings the running consumers in line with `rules`; resolves when done. */
  reconcile(rules: RuleSet): Promise<void> {
    this.latest = rules;
    this.chain = this.chain.then(() => (this.latest === rules && !this.stopped ? this.apply(rules) : undefined));
    return this.chain;
  }

  consumer(ruleId: string): FlowConsumer | undefined {
    return this.running.get(ruleId)?.consumer;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.chain;
    await Promise.all([...this.running.values()].map((r) => r.consumer.stop().catch(() => undefined)));
    this.running.clear();
    this.onCount(0);
  }

  private async apply(rules: RuleSet): Promise<void> {
    const desired = new Map(rules.inflowRules().map((r) => [r.id, r]));
    const stopping: Promise<void>[] = [];
    for (const [ruleId, entry] of this.running) {
      if (desired.get(ruleId)?.source.kafkaTopic === entry.topic) continue;
      this.running.delete(ruleId);
      stopping.push(entry.consumer.stop().catch((err) => this.logger.warn({ err, ruleId }, 'inflow consumer stop failed')));
    }
    await Promise.all(stopping);
    const missingTopics = new Set<string>();
    const toStart = [...desired.values()].filter((rule) => !this.running.has(rule.id)).map((rule) => [rule.id, rule.source.kafkaTopic, rule.createdAt] as const);
    if (toStart.length > 0) {
      try {
        for (const topic of await this.provisioner.unavailable(new Set(toStart.map(([, t]) => t)))) missingTopics.add(topic);
      } catch (err) {
        this.logger.warn({ err }, 'could not check inflow source topics');
        for (const [, topic] of toStart) missingTopics.add(topic);
      }
    }
    let retry = false;
    for (const [ruleId, topic, createdAt] of toStart) {
      if (missingTopics.has(topic)) {
        this.logger.warn({ ruleId, topic }, 'inflow source topic does not exist; not consuming yet');
        retry = true;
        continue;
      }
      const consumer = new FlowConsumer(
        this.kafka,
        this.admin,
        { groupId: `${this.options.groupPrefix}${ruleId}`, topic, startAt: createdAt, tuning: this.options.tuning },
        this.pipeline,
        inflowPlanner(this.planner, ruleId),
        this.logger,
      );
      try {
        await consumer.start();
        this.running.set(ruleId, { topic, consumer });
      } catch (err) {
        this.logger.warn({ err, ruleId, topic }, 'inflow consumer did not start');
        await consumer.stop().catch(() => undefined);
        retry = true;
      }
    }
    this.onCount(this.running.size);
    if (retry && !this.stopped && this.retryTimer === null) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.latest) void this.reconcile(this.latest);
      }, this.options.retryMs);
      this.retryTimer.unref();
    }
  }
}
