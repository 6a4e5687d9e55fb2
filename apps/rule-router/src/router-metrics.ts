import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type Flow = 'outflow' | 'inflow' | 'status';

/** Prometheus metrics of one router process; per-rule totals go to PostgreSQL instead (cardinality). */
export class RouterMetrics {
  /** Records consumed, by flow and outcome: routed (at least one rule), unmatched, invalid. */
  readonly records: Counter<'flow' | 'result'>;
  /** Records produced to rule targets (one per matching rule). */
  readonly routed: Counter<'flow'>;
  /** Records written to fleetmq.dlq, by reason. */
  readonly dlq: Counter<'flow' | 'reason'>;
  /** Redelivered (rule, msgId) pairs skipped because this process had already routed them. */
  readonly duplicates: Counter<'flow'>;
  readonly produceRetries: Counter<'flow'>;
  readonly rules: Gauge<'kind'>;
  readonly inflowConsumers: Gauge;
  readonly reloads: Counter;
  /** Gateway timestamp (fleetmq-ts) to the acknowledgement of the routed record. */
  readonly outflowLatency: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({ name: 'fleetmq_rule_router_records_total', help: 'Records consumed by the rule router', labelNames: ['flow', 'result'], registers });
    this.routed = new Counter({ name: 'fleetmq_rule_router_routed_total', help: 'Records produced to rule targets', labelNames: ['flow'], registers });
    this.dlq = new Counter({ name: 'fleetmq_rule_router_dlq_total', help: 'Records sent to fleetmq.dlq', labelNames: ['flow', 'reason'], registers });
    this.duplicates = new Counter({ name: 'fleetmq_rule_router_duplicates_total', help: 'Redelivered records skipped because already routed by this process', labelNames: ['flow'], registers });
    this.produceRetries = new Counter({ name: 'fleetmq_rule_router_produce_retries_total', help: 'Produce attempts that failed and were retried', labelNames: ['flow'], registers });
    this.rules = new Gauge({ name: 'fleetmq_rule_router_rules', help: 'Enabled rules loaded', labelNames: ['kind'], registers });
    this.inflowConsumers = new Gauge({ name: 'fleetmq_rule_router_inflow_consumers', help: 'Running inflow rule consumers', registers });
    this.reloads = new Counter({ name: 'fleetmq_rule_router_reloads_total', help: 'Rule sets loaded with a change', registers });
    this.outflowLatency = new Histogram({
      name: 'fleetmq_rule_router_outflow_latency_seconds',
      help: 'Gateway timestamp to routed-record acknowledgement',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }
}
