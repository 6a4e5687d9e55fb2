import {
  downlinkDestination,
  outflowKey,
  outflowValue,
  parseTopicTemplate,
  renderTopicTemplate,
  statusKey,
  type InflowRule,
  type RuleSet,
  type TopicTemplate,
} from '#domain';
import { buildDownlinkRecord, DOWNLINK_TOPIC, HEADERS, headerText, keyText, newMessageId, parsePresenceRecord, parseUplinkRecord, type ConsumedRecord } from '#messaging';
import type { Plan, Planner, Route } from './batch-pipeline.js';
import type { RuleCounters } from './rule-counters.js';
import type { SeenSet } from './seen-set.js';

/** What the planners share: the live rules and the per-rule counters. */
export interface PlannerContext {
  rules: () => RuleSet;
  counters: RuleCounters;
  maxTopicLength: number;
  /** Called for each redelivered (rule, msgId) skipped. */
  onDuplicate: () => void;
  seen?: SeenSet;
}

/** A record routed nowhere; shared, never written to. */
const NO_ROUTES: Plan = Object.freeze({ kind: 'routes', routes: [] });

/**
 * fleetmq.uplink -> every matching enabled outflow rule of the record's instance. A record of an
 * instance without outflow rules is not decoded: in the all-in-one this planner runs in the
 * gateway's event loop, for every device message.
 */
export function outflowPlanner(ctx: PlannerContext): Planner {
  return (message: ConsumedRecord): Plan => {
    const instanceId = headerText(message.headers, HEADERS.instance);
    if (instanceId && !ctx.rules().hasOutflow(instanceId)) return NO_ROUTES;
    const parsed = parseUplinkRecord(message);
    if (!parsed.ok) return { kind: 'dlq', reason: 'invalid-record', detail: parsed.error.reason };
    const up = parsed.value;
    const rules = ctx.rules().outflowFor(up.instanceId, up.topic);
    if (rules.length === 0) return NO_ROUTES;
    const routes: Route[] = [];
    for (const rule of rules) {
      ctx.counters.matched(rule.id);
      if (ctx.seen?.has(rule.id, up.msgId)) {
        ctx.onDuplicate();
        continue;
      }
      const { target } = rule;
      routes.push({
        ruleId: rule.id,
        topic: target.kafkaTopic,
        // raw keeps the uplink headers so a backend knows device, topic and msgid without an envelope.
        message: { key: outflowKey(target.keyStrategy, up), value: outflowValue(target, up), headers: target.format === 'raw' ? message.headers : undefined },
        msgId: up.msgId,
        ts: up.ts,
      });
    }
    return { kind: 'routes', routes };
  };
}

/** fleetmq.presence -> every enabled status rule of the event's instance whose group filter admits the client. */
export function statusPlanner(ctx: PlannerContext): Planner {
  return (message: ConsumedRecord): Plan => {
    const parsed = parsePresenceRecord(message);
    if (!parsed.ok) return { kind: 'dlq', reason: 'invalid-record', detail: parsed.error.reason };
    const event = parsed.value;
    const rules = ctx.rules().statusFor(event.instanceId, event.clientId);
    const routes: Route[] = [];
    for (const rule of rules) {
      ctx.counters.matched(rule.id);
      routes.push({
        ruleId: rule.id,
        topic: rule.target.kafkaTopic,
        message: {
          key: statusKey(rule.target.keyStrategy, event.clientId),
          value: message.value,
          headers: { [HEADERS.instance]: event.instanceId, [HEADERS.client]: event.clientId },
        },
      });
    }
    return { kind: 'routes', routes };
  };
}

/** Header values as text, for `${header.NAME}`. */
function headerMap(message: ConsumedRecord): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of Object.keys(message.headers ?? {})) out[name] = headerText(message.headers, name);
  return out;
}

/**
 * A backend topic -> fleetmq.downlink for one inflow rule. The rule is read live on every record,
 * so a changed template applies at once; a rule gone (deleted, disabled) halts the consumer.
 */
export function inflowPlanner(ctx: PlannerContext, ruleId: string): Planner {
  let cached: { rule: InflowRule; template: TopicTemplate } | null = null;
  return (message: ConsumedRecord): Plan => {
    const rule = ctx.rules().get(ruleId);
    if (rule === undefined || rule.kind !== 'inflow' || !rule.enabled) return { kind: 'halt' };
    if (cached?.rule !== rule) {
      const parsed = parseTopicTemplate(rule.target.topicTemplate, ctx.maxTopicLength);
      // Stored rules were validated on load; this cannot fail for them.
      if (!parsed.ok) return { kind: 'halt' };
      cached = { rule, template: parsed.value };
    }
    ctx.counters.matched(rule.id);
    const rendered = renderTopicTemplate(cached.template, { key: keyText(message.key) ?? null, headers: headerMap(message) }, ctx.maxTopicLength);
    if (!rendered.ok) return { kind: 'dlq', reason: rendered.reason, detail: rendered.detail, ruleId: rule.id };
    const destination = downlinkDestination(rule.instanceId, rendered.topic);
    if (!destination.ok) return { kind: 'dlq', reason: destination.reason, detail: destination.detail, ruleId: rule.id };
    const { topic, targetClientId } = destination.value;
    const record = buildDownlinkRecord({
      instanceId: rule.instanceId,
      topic,
      qos: rule.target.qos,
      // A P2P message is never retained: it is meant for one client, now.
      retain: targetClientId === undefined && rule.target.retain,
      payload: message.value ?? Buffer.alloc(0),
      targetClientId,
      msgId: headerText(message.headers, HEADERS.msgId) || newMessageId(),
    });
    return { kind: 'routes', routes: [{ ruleId: rule.id, topic: DOWNLINK_TOPIC, message: { key: record.key, value: record.value, headers: record.headers } }] };
  };
}
