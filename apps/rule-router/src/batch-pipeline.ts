import { buildDlqRecord, DLQ_TOPIC, type ConsumedBatch, type ConsumedRecord, type ProducedRecord, type RecordOrigin } from '#messaging';
import type { RuleCounters } from './rule-counters.js';
import type { Flow, RouterMetrics } from './router-metrics.js';
import { TopicBatches, type ProduceContext, type RouterProducer } from './produce.js';
import type { SeenSet } from './seen-set.js';
import type { TopicProvisioner } from './topic-provisioner.js';

/** One output of a consumed record: a record for one rule's target topic. */
export interface Route {
  ruleId: string;
  topic: string;
  message: ProducedRecord;
  /** Marks (rule, msgId) as routed once acknowledged (duplicate detection). */
  msgId?: string;
  /** Gateway timestamp, for the latency histogram. */
  ts?: number;
}

/** What to do with one consumed record. */
export type Plan =
  | { kind: 'routes'; routes: Route[] }
  /** The record itself cannot be handled: copy it to fleetmq.dlq with this reason. */
  | { kind: 'dlq'; reason: DlqReason; detail: string; ruleId?: string }
  /** The rule this consumer serves is gone: stop before this record, leave it uncommitted. */
  | { kind: 'halt' };

export type Planner = (message: ConsumedRecord, origin: RecordOrigin) => Plan;

export interface PipelineDeps {
  flow: Flow;
  producer: RouterProducer;
  provisioner: TopicProvisioner;
  counters: RuleCounters;
  metrics: RouterMetrics;
  seen?: SeenSet;
  /** Records produced per round trip at most. */
  chunkSize: number;
  /** How long a stopping router keeps retrying an unacknowledged chunk before leaving it uncommitted. */
  stopGraceMs: number;
  stopping: () => number | null;
}

/** Router-specific DLQ headers next to fleetmq-dlq-reason / -source: the human detail and the rule. */
export const DLQ_DETAIL_HEADER = 'fleetmq-dlq-detail';
export const DLQ_RULE_HEADER = 'fleetmq-dlq-rule';

/** fleetmq-dlq-reason values written by the router. */
export type DlqReason =
  | 'invalid-record'
  | 'unknown-topic'
  | 'produce-rejected'
  | 'missing-key'
  | 'missing-header'
  | 'invalid-value'
  | 'invalid-topic'
  | 'invalid-target-client';

interface DlqEntry {
  message: ConsumedRecord;
  reason: DlqReason;
  detail: string;
  ruleId?: string;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a halted pipeline waits before its batch is fetched again (keeps it from spinning). */
const HALTED_PAUSE_MS = 100;
/** Waits between topic checks while Kafka cannot tell whether a target exists: doubling from the first to the longest. */
const TOPIC_CHECK_FIRST_WAIT_MS = 100;
const TOPIC_CHECK_LONGEST_WAIT_MS = 2_000;

const NO_TOPICS: ReadonlySet<string> = new Set();

/**
 * At-least-once routing of one fetched partition batch: records are planned, their outputs (and
 * DLQ copies) produced together with acks=all, and only then is the last offset of the chunk
 * resolved, so a committed offset never covers a record whose outputs Kafka has not acknowledged.
 * A partition is handled sequentially, chunk after chunk, which keeps per-key order.
 */
export class BatchPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async run(payload: ConsumedBatch, planner: Planner): Promise<void> {
    const { batch } = payload;
    const ctx: ProduceContext = {
      abandon: () => {
        const since = this.deps.stopping();
        return payload.isStale() || (since !== null && Date.now() - since > this.deps.stopGraceMs);
      },
      heartbeat: () => payload.heartbeat(),
    };
    for (let start = 0; start < batch.messages.length; start += this.deps.chunkSize) {
      if (payload.isStale()) return;
      // A stopping router still finishes the chunk in hand, but starts no new one.
      if (start > 0 && (!payload.isRunning() || this.deps.stopping() !== null)) return;
      const chunk = batch.messages.slice(start, start + this.deps.chunkSize);
      const done = await this.chunk(batch, chunk, planner, ctx);
      // Unresolved records are fetched again (kafkajs fetches from the last resolved offset);
      // a short pause keeps a halted consumer from spinning until it is stopped.
      if (done === null) return void (await pause(HALTED_PAUSE_MS));
      payload.resolveOffset(done);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
    }
  }

  /** Returns the offset to resolve, or null when nothing may be resolved. */
  private async chunk(batch: ConsumedBatch['batch'], messages: ConsumedRecord[], planner: Planner, ctx: ProduceContext): Promise<string | null> {
    const { flow, counters, metrics } = this.deps;
    const origin = (m: ConsumedRecord): RecordOrigin => ({ topic: batch.topic, partition: batch.partition, offset: m.offset });
    const routes: Route[] = [];
    const owners = new Map<Route, ConsumedRecord>();
    const dlq: DlqEntry[] = [];
    let last: string | null = null;
    // Counted once per chunk: a labelled increment per record was a measurable share of the
    // all-in-one's event loop at fleet rates.
    let routed = 0;
    let unmatched = 0;
    for (const message of messages) {
      const plan = planner(message, origin(message));
      if (plan.kind === 'halt') break;
      last = message.offset;
      if (plan.kind === 'dlq') {
        dlq.push({ message, reason: plan.reason, detail: plan.detail, ruleId: plan.ruleId });
        continue;
      }
      if (plan.routes.length === 0) {
        unmatched++;
        continue;
      }
      routed++;
      for (const route of plan.routes) {
        routes.push(route);
        owners.set(route, message);
      }
    }
    if (dlq.length > 0) metrics.records.inc({ flow, result: 'invalid' }, dlq.length);
    if (routed > 0) metrics.records.inc({ flow, result: 'routed' }, routed);
    if (unmatched > 0) metrics.records.inc({ flow, result: 'unmatched' }, unmatched);
    if (last === null) return null;

    const targets = new Set(routes.map((r) => r.topic));
    const unusable = targets.size === 0 ? NO_TOPICS : await this.unusableTopics(targets, ctx);
    if (unusable === null) return null;
    const out = new TopicBatches();
    const sent: Route[] = [];
    for (const route of routes) {
      if (unusable.has(route.topic)) dlq.push({ message: owners.get(route)!, reason: 'unknown-topic', detail: `topic ${route.topic} does not exist`, ruleId: route.ruleId });
      else {
        out.add(route.topic, route.message);
        sent.push(route);
      }
    }
    for (const d of dlq) out.add(DLQ_TOPIC, this.dlqMessage(batch, d));

    const outcome = await this.deps.producer.send(out.toArray(), ctx);
    if (outcome.kind === 'abandoned') return null;

    // Targets that refused their records permanently: their routes go to the DLQ instead.
    const rejected = outcome.rejected;
    if (rejected.has(DLQ_TOPIC)) metrics.dlq.inc({ flow, reason: 'dlq-rejected' });
    const retry = new TopicBatches();
    const now = Date.now();
    for (const route of sent) {
      const refusal = rejected.get(route.topic);
      if (refusal !== undefined) {
        retry.add(DLQ_TOPIC, this.dlqMessage(batch, { message: owners.get(route)!, reason: 'produce-rejected', detail: refusal.message, ruleId: route.ruleId }));
        counters.failed(route.ruleId);
        continue;
      }
      counters.routed(route.ruleId);
      metrics.routed.inc({ flow });
      if (route.msgId !== undefined) this.deps.seen?.add(route.ruleId, route.msgId);
      if (route.ts !== undefined) metrics.outflowLatency.observe(Math.max(0, now - route.ts) / 1000);
    }
    if (!rejected.has(DLQ_TOPIC)) {
      for (const d of dlq) {
        metrics.dlq.inc({ flow, reason: d.reason });
        if (d.ruleId !== undefined) counters.failed(d.ruleId);
      }
    }
    if (retry.size > 0) {
      const again = await this.deps.producer.send(retry.toArray(), ctx);
      if (again.kind === 'abandoned') return null;
      metrics.dlq.inc({ flow, reason: 'produce-rejected' });
    }
    return last;
  }

  /** Target topics that cannot be written; waits (heartbeating) while Kafka cannot tell. null = abandoned. */
  private async unusableTopics(targets: Set<string>, ctx: ProduceContext): Promise<ReadonlySet<string> | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.provisioner.unavailable(targets);
      } catch {
        if (ctx.abandon()) return null;
        await pause(Math.min(TOPIC_CHECK_LONGEST_WAIT_MS, TOPIC_CHECK_FIRST_WAIT_MS * 2 ** attempt));
        await ctx.heartbeat().catch(() => undefined);
      }
    }
  }

  private dlqMessage(batch: ConsumedBatch['batch'], entry: DlqEntry): ProducedRecord {
    const { message } = entry;
    const record = buildDlqRecord(message, { topic: batch.topic, partition: batch.partition, offset: message.offset }, entry.reason);
    record.headers[DLQ_DETAIL_HEADER] = entry.detail;
    if (entry.ruleId !== undefined) record.headers[DLQ_RULE_HEADER] = entry.ruleId;
    return { key: record.key, value: record.value, headers: record.headers };
  }
}
