import { isValidGroupId } from '../group-id.js';
import { isValidKafkaTopicName } from '../kafka-topic.js';
import { parentTopicOf, TOPIC_PROBLEMS, validateTopicFilter } from '../topic.js';
import { isRuleKind, RULE_KINDS } from '../types.js';
import {
  KEY_STRATEGIES,
  OUTFLOW_FORMATS,
  PAYLOAD_ENCODINGS,
  STATUS_KEY_STRATEGIES,
  type PayloadEncoding,
  type Rule,
  type RuleBody,
  type RuleDefinition,
  type RuleFieldError,
  type RuleValidation,
  type StoredRule,
  type StoredRuleSpec,
} from './rule.types.js';
import { parseTopicTemplate } from './topic-template.js';

export interface RuleValidationOptions {
  /** Longest MQTT topic filter / rendered topic (FLEETMQ_MAX_TOPIC_LENGTH); default 128. */
  maxTopicLength?: number;
  /**
   * Parent topics of the instance: the first level of an outflow filter or an inflow template
   * must be one of them. null (the anonymous instance) or absent (the router re-reading stored
   * rows, already checked when written) allows any first level.
   */
  parentTopics?: ReadonlySet<string> | null;
}

interface Limits {
  maxTopicLength: number;
  parentTopics: ReadonlySet<string> | null;
}

function limits(options: RuleValidationOptions): Limits {
  return { maxTopicLength: options.maxTopicLength ?? DEFAULT_MAX_TOPIC_LENGTH, parentTopics: options.parentTopics ?? null };
}

export const DEFAULT_MAX_TOPIC_LENGTH = 128;
/** RuleEntity.name is varchar(128). */
export const MAX_RULE_NAME_LENGTH = 128;

/**
 * Kafka topics a rule may not read or write: FleetMQ's own (`fleetmq.*`: an outflow into
 * fleetmq.uplink or an inflow from fleetmq.downlink would loop). Kafka refuses writes to its
 * own internal topics by itself.
 */
export function isReservedKafkaTopic(name: string): boolean {
  return name.startsWith('fleetmq.');
}

type Fields = Record<string, unknown>;

/** Collects field errors while reading an untrusted object. */
class Reader {
  readonly errors: RuleFieldError[] = [];

  fail(field: string, reason: string): void {
    this.errors.push({ field, reason });
  }

  object(value: unknown, field: string, known: readonly string[]): Fields | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field, 'must be an object');
      return undefined;
    }
    for (const name of Object.keys(value)) {
      if (!known.includes(name)) this.fail(field === '' ? name : `${field}.${name}`, 'is not a known field');
    }
    return value as Fields;
  }

  oneOf<T extends string | number>(fields: Fields, name: string, path: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = fields[name];
    if (value === undefined && fallback !== undefined) return fallback;
    if ((allowed as readonly unknown[]).includes(value)) return value as T;
    this.fail(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return undefined;
  }

  kafkaTopic(fields: Fields, path: string): string | undefined {
    const value = fields.kafkaTopic;
    if (typeof value !== 'string' || !isValidKafkaTopicName(value)) {
      this.fail(path, 'must be a Kafka topic name: 1 to 249 of [a-zA-Z0-9._-], not "." or ".."');
      return undefined;
    }
    if (isReservedKafkaTopic(value)) {
      this.fail(path, "is reserved: names beginning with 'fleetmq.' belong to FleetMQ");
      return undefined;
    }
    return value;
  }

  parentTopic(path: string, parent: string, parentTopics: ReadonlySet<string> | null): boolean {
    if (parentTopics === null || parentTopics.has(parent)) return true;
    this.fail(path, `first level '${parent}' is not a parent topic of the instance`);
    return false;
  }
}

function readDefinition(r: Reader, kind: unknown, source: unknown, target: unknown, { maxTopicLength, parentTopics }: Limits): RuleDefinition | undefined {
  if (!isRuleKind(kind)) {
    r.fail('kind', `must be one of ${RULE_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
    return undefined;
  }
  if (kind === 'outflow') {
    const s = r.object(source, 'source', ['topicFilter']);
    const t = r.object(target, 'target', ['kafkaTopic', 'keyStrategy', 'format', 'payloadEncoding']);
    let topicFilter: string | undefined;
    if (s) {
      if (typeof s.topicFilter !== 'string') r.fail('source.topicFilter', 'must be a string');
      else {
        const problem = validateTopicFilter(s.topicFilter, maxTopicLength);
        if (problem !== null) r.fail('source.topicFilter', TOPIC_PROBLEMS[problem]);
        else if (r.parentTopic('source.topicFilter', parentTopicOf(s.topicFilter), parentTopics)) topicFilter = s.topicFilter;
      }
    }
    if (!t) return undefined;
    const kafkaTopic = r.kafkaTopic(t, 'target.kafkaTopic');
    const keyStrategy = r.oneOf(t, 'keyStrategy', 'target.keyStrategy', KEY_STRATEGIES, 'clientId');
    const format = r.oneOf(t, 'format', 'target.format', OUTFLOW_FORMATS, 'raw');
    let payloadEncoding: PayloadEncoding | undefined;
    // Raw records carry the payload bytes as they are: an encoding there would be a silent no-op.
    if (format === 'raw' && t.payloadEncoding !== undefined) r.fail('target.payloadEncoding', "is only allowed with format 'json'");
    else payloadEncoding = r.oneOf(t, 'payloadEncoding', 'target.payloadEncoding', PAYLOAD_ENCODINGS, 'base64');
    if (topicFilter === undefined || !kafkaTopic || !keyStrategy || !format || !payloadEncoding) return undefined;
    return { kind, source: { topicFilter }, target: { kafkaTopic, keyStrategy, format, payloadEncoding } };
  }
  if (kind === 'inflow') {
    const s = r.object(source, 'source', ['kafkaTopic']);
    const t = r.object(target, 'target', ['topicTemplate', 'qos', 'retain']);
    const kafkaTopic = s ? r.kafkaTopic(s, 'source.kafkaTopic') : undefined;
    if (!t) return undefined;
    let topicTemplate: string | undefined;
    if (typeof t.topicTemplate !== 'string') r.fail('target.topicTemplate', 'must be a string');
    else {
      const parsed = parseTopicTemplate(t.topicTemplate, maxTopicLength);
      if (!parsed.ok) r.fail('target.topicTemplate', parsed.reason);
      else if (r.parentTopic('target.topicTemplate', parsed.value.parentTopic, parentTopics)) topicTemplate = t.topicTemplate;
    }
    const qos = r.oneOf<0 | 1>(t, 'qos', 'target.qos', [0, 1], 1);
    let retain = false;
    if (t.retain !== undefined) {
      if (typeof t.retain === 'boolean') retain = t.retain;
      else r.fail('target.retain', 'must be a boolean');
    }
    if (!kafkaTopic || topicTemplate === undefined || qos === undefined || r.errors.length > 0) return undefined;
    return { kind, source: { kafkaTopic }, target: { topicTemplate, qos, retain } };
  }
  const s = r.object(source ?? {}, 'source', ['groupId']);
  const t = r.object(target, 'target', ['kafkaTopic', 'keyStrategy']);
  let groupId: string | undefined;
  if (s && s.groupId !== undefined) {
    if (typeof s.groupId !== 'string' || !isValidGroupId(s.groupId)) r.fail('source.groupId', 'must be a group ID GID_... of at most 64 characters');
    else groupId = s.groupId;
  }
  if (!t) return undefined;
  const kafkaTopic = r.kafkaTopic(t, 'target.kafkaTopic');
  const keyStrategy = r.oneOf(t, 'keyStrategy', 'target.keyStrategy', STATUS_KEY_STRATEGIES, 'clientId');
  if (!s || !kafkaTopic || !keyStrategy || r.errors.length > 0) return undefined;
  return { kind, source: groupId === undefined ? {} : { groupId }, target: { kafkaTopic, keyStrategy } };
}

function result<T>(r: Reader, value: T | undefined): RuleValidation<T> {
  if (r.errors.length > 0 || value === undefined) {
    return { ok: false, errors: r.errors.length > 0 ? r.errors : [{ field: '', reason: 'invalid rule' }] };
  }
  return { ok: true, value };
}

/**
 * Validates kind + source + target and fills defaults (outflow: keyStrategy clientId, format raw,
 * payloadEncoding base64; inflow: qos 1, retain false; status: keyStrategy clientId).
 */
export function validateRuleDefinition(kind: unknown, source: unknown, target: unknown, options: RuleValidationOptions = {}): RuleValidation<RuleDefinition> {
  const r = new Reader();
  return result(r, readDefinition(r, kind, source, target, limits(options)));
}

/**
 * Validates a whole REST body `{name, kind, source, target, enabled?}` (enabled defaults to true).
 * For PATCH, merge the stored rule with the patch first and validate the result.
 * Every problem is reported, each with the dotted path of its field.
 */
export function validateRuleBody(body: unknown, options: RuleValidationOptions = {}): RuleValidation<RuleBody> {
  const r = new Reader();
  const fields = r.object(body, '', ['name', 'kind', 'source', 'target', 'enabled']);
  if (!fields) return result<RuleBody>(r, undefined);
  let name: string | undefined;
  if (typeof fields.name !== 'string' || fields.name.trim() === '') r.fail('name', 'must be a non-empty string');
  else if (fields.name.length > MAX_RULE_NAME_LENGTH) r.fail('name', `must be at most ${MAX_RULE_NAME_LENGTH} characters`);
  else name = fields.name;
  let enabled = true;
  if (fields.enabled !== undefined) {
    if (typeof fields.enabled === 'boolean') enabled = fields.enabled;
    else r.fail('enabled', 'must be a boolean');
  }
  const definition = readDefinition(r, fields.kind, fields.source, fields.target, limits(options));
  return result(r, name !== undefined && definition ? { ...definition, name, enabled } : undefined);
}

/** A stored row as a typed rule; a row that no longer validates is reported, never routed. */
export function parseStoredRule(row: StoredRule, options: RuleValidationOptions = {}): RuleValidation<Rule> {
  const r = new Reader();
  const definition = readDefinition(r, row.kind, row.source, row.target, limits(options));
  const value = definition ? ({ ...definition, id: row.id, instanceId: row.instanceId, name: row.name, enabled: row.enabled, createdAt: row.createdAt.getTime() } as Rule) : undefined;
  return result(r, value);
}

/**
 * What the console stores in a rule's source/target columns: the validated definition with its
 * defaults, minus payloadEncoding for raw outflows (it is refused there on input, and
 * parseStoredRule fills it back in).
 */
export function storedRuleSpec(definition: RuleDefinition): StoredRuleSpec {
  if (definition.kind !== 'outflow' || definition.target.format === 'json') {
    return { source: { ...definition.source }, target: { ...definition.target } };
  }
  const { kafkaTopic, keyStrategy, format } = definition.target;
  return { source: { ...definition.source }, target: { kafkaTopic, keyStrategy, format } };
}
