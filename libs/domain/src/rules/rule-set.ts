import { topicMatches } from '../topic-match.js';
import type { InflowRule, OutflowRule, Rule, StatusRule } from './rule.types.js';
import { statusSourceMatches } from './status.js';

const NONE: readonly never[] = [];

/**
 * An immutable snapshot of the rules, indexed by instance for the hot path. Only enabled rules
 * are indexed; a reload builds a new snapshot and swaps it in whole.
 */
export class RuleSet {
  private readonly outflow = new Map<string, OutflowRule[]>();
  private readonly status = new Map<string, StatusRule[]>();
  private readonly inflow: InflowRule[] = [];
  private readonly byId = new Map<string, Rule>();

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) {
      this.byId.set(rule.id, rule);
      if (!rule.enabled) continue;
      if (rule.kind === 'outflow') push(this.outflow, rule.instanceId, rule);
      else if (rule.kind === 'status') push(this.status, rule.instanceId, rule);
      else this.inflow.push(rule);
    }
  }

  static readonly empty = new RuleSet([]);

  get(id: string): Rule | undefined {
    return this.byId.get(id);
  }

  /** Whether the instance has an enabled outflow rule (any filter). */
  hasOutflow(instanceId: string): boolean {
    return this.outflow.has(instanceId);
  }

  /** Enabled outflow rules of the instance whose filter matches the MQTT topic. */
  outflowFor(instanceId: string, topic: string): readonly OutflowRule[] {
    const candidates = this.outflow.get(instanceId);
    if (candidates === undefined) return NONE;
    let matched: OutflowRule[] | undefined;
    for (const rule of candidates) {
      if (topicMatches(rule.source.topicFilter, topic)) (matched ??= []).push(rule);
    }
    return matched ?? NONE;
  }

  /** Enabled status rules of the instance whose group filter admits the client. */
  statusFor(instanceId: string, clientId: string): readonly StatusRule[] {
    const candidates = this.status.get(instanceId);
    if (candidates === undefined) return NONE;
    return candidates.filter((rule) => statusSourceMatches(rule.source, clientId));
  }

  /** Enabled inflow rules. */
  inflowRules(): readonly InflowRule[] {
    return this.inflow;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
