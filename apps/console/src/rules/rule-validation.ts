import { isValidGroupId, isValidKafkaTopicName, parentTopicOf, TOPIC_PROBLEMS, validateTopicFilter, validateTopicName, type RuleKind } from '#domain';
import type { FieldError } from '../common/errors.js';

/** What a rule's validity depends on besides its own fields. */
export interface RuleContext {
  /** Parent topics of the instance; null for the anonymous instance (any topic). */
  parentTopics: ReadonlySet<string> | null;
  maxTopicLength: number;
}

export interface RuleSpec {
  source: Record<string, unknown>;
  target: Record<string, unknown>;
}

export type RuleValidation = { ok: true; spec: RuleSpec } | { ok: false; errors: FieldError[] };

const INTERNAL_TOPIC_PREFIX = 'fleetmq.';
/** `${key}` or `${header.NAME}` in an inflow topic template. */
const PLACEHOLDER = /\$\{(key|header\.[A-Za-z0-9_.-]+)\}/g;

/** Collects field errors of one object while reading its properties with defaults. */
class Reader {
  constructor(
    private readonly prefix: 'source' | 'target',
    private readonly value: Record<string, unknown>,
    readonly errors: FieldError[],
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(key, `property ${key} should not exist for this kind of rule`);
    }
  }

  fail(key: string, reason: string): void {
    this.errors.push({ field: `${this.prefix}.${key}`, reason });
  }

  string(key: string, required: boolean): string | undefined {
    const v = this.value[key];
    if (v === undefined) {
      if (required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(key, 'must be a string');
      return undefined;
    }
    return v;
  }

  oneOf<T extends string | number | boolean>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.value[key];
    if (v === undefined) return fallback;
    if (!(allowed as readonly unknown[]).includes(v)) {
      this.fail(key, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return v as T;
  }

  kafkaTopic(key: string): string | undefined {
    const name = this.string(key, true);
    if (name === undefined) return undefined;
    if (!isValidKafkaTopicName(name)) this.fail(key, 'is not a valid Kafka topic name ([a-zA-Z0-9._-], 1..249)');
    else if (name.startsWith(INTERNAL_TOPIC_PREFIX)) this.fail(key, `must not be an internal ${INTERNAL_TOPIC_PREFIX}* topic`);
    return name;
  }
}

function checkParent(r: Reader, key: string, topic: string, ctx: RuleContext): void {
  if (ctx.parentTopics === null) return;
  const parent = parentTopicOf(topic);
  if (!ctx.parentTopics.has(parent)) r.fail(key, `first level '${parent}' is not a parent topic of the instance`);
}

function outflow(source: Reader, target: Reader, ctx: RuleContext): RuleSpec {
  const topicFilter = source.string('topicFilter', true);
  if (topicFilter !== undefined) {
    const problem = validateTopicFilter(topicFilter, ctx.maxTopicLength);
    if (problem !== null) source.fail('topicFilter', TOPIC_PROBLEMS[problem]);
    else checkParent(source, 'topicFilter', topicFilter, ctx);
  }
  const kafkaTopic = target.kafkaTopic('kafkaTopic');
  const keyStrategy = target.oneOf('keyStrategy', ['clientId', 'topic', 'none'] as const, 'clientId');
  const format = target.oneOf('format', ['raw', 'json'] as const, 'raw');
  const spec: RuleSpec = { source: { topicFilter }, target: { kafkaTopic, keyStrategy, format } };
  if (format === 'json') {
    spec.target.payloadEncoding = target.oneOf('payloadEncoding', ['base64', 'utf8'] as const, 'base64');
  } else if (target.string('payloadEncoding', false) !== undefined) {
    target.fail('payloadEncoding', "is only allowed with format 'json'");
  }
  return spec;
}

function inflow(source: Reader, target: Reader, ctx: RuleContext): RuleSpec {
  const kafkaTopic = source.kafkaTopic('kafkaTopic');
  const topicTemplate = target.string('topicTemplate', true);
  if (topicTemplate !== undefined) {
    // Placeholders stand for one non-empty piece of text; what is left must be a valid topic.
    const filled = topicTemplate.replace(PLACEHOLDER, 'x');
    if (filled.includes('${')) target.fail('topicTemplate', 'only ${key} and ${header.NAME} placeholders are allowed');
    else {
      const problem = validateTopicName(filled, ctx.maxTopicLength);
      if (problem !== null) target.fail('topicTemplate', TOPIC_PROBLEMS[problem]);
      else if (parentTopicOf(topicTemplate).includes('${')) target.fail('topicTemplate', 'the first level must be a fixed parent topic');
      else checkParent(target, 'topicTemplate', topicTemplate, ctx);
    }
  }
  const qos = target.oneOf('qos', [0, 1] as const, 1);
  const retain = target.oneOf('retain', [true, false] as const, false);
  return { source: { kafkaTopic }, target: { topicTemplate, qos, retain } };
}

function status(source: Reader, target: Reader): RuleSpec {
  const groupId = source.string('groupId', false);
  if (groupId !== undefined && !isValidGroupId(groupId)) source.fail('groupId', 'is not a valid group ID (GID_...)');
  const kafkaTopic = target.kafkaTopic('kafkaTopic');
  const keyStrategy = target.oneOf('keyStrategy', ['clientId', 'none'] as const, 'clientId');
  return { source: groupId === undefined ? {} : { groupId }, target: { kafkaTopic, keyStrategy } };
}

const ALLOWED: Record<RuleKind, { source: readonly string[]; target: readonly string[] }> = {
  outflow: { source: ['topicFilter'], target: ['kafkaTopic', 'keyStrategy', 'format', 'payloadEncoding'] },
  inflow: { source: ['kafkaTopic'], target: ['topicTemplate', 'qos', 'retain'] },
  status: { source: ['groupId'], target: ['kafkaTopic', 'keyStrategy'] },
};

/**
 * Checks a rule's source and target for its kind and fills in the defaults; errors name the
 * field (`source.topicFilter`, `target.kafkaTopic`). Group existence is the caller's check.
 */
export function validateRule(kind: RuleKind, source: Record<string, unknown>, target: Record<string, unknown>, ctx: RuleContext): RuleValidation {
  const errors: FieldError[] = [];
  const s = new Reader('source', source, errors, ALLOWED[kind].source);
  const t = new Reader('target', target, errors, ALLOWED[kind].target);
  const spec = kind === 'outflow' ? outflow(s, t, ctx) : kind === 'inflow' ? inflow(s, t, ctx) : status(s, t);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, spec };
}
