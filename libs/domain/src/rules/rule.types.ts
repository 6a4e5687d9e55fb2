import type { RuleKind } from '../types.js';

/** Kafka record key of a routed uplink record: the client ID keeps per-device order. */
export type KeyStrategy = 'clientId' | 'topic' | 'none';
export const KEY_STRATEGIES: readonly KeyStrategy[] = ['clientId', 'topic', 'none'];

/** raw = MQTT payload bytes with the uplink headers; json = the envelope of `OutflowEnvelope`. */
export type OutflowFormat = 'raw' | 'json';
export const OUTFLOW_FORMATS: readonly OutflowFormat[] = ['raw', 'json'];

/** How the JSON envelope carries the payload. */
export type PayloadEncoding = 'base64' | 'utf8';
export const PAYLOAD_ENCODINGS: readonly PayloadEncoding[] = ['base64', 'utf8'];

export type StatusKeyStrategy = 'clientId' | 'none';
export const STATUS_KEY_STRATEGIES: readonly StatusKeyStrategy[] = ['clientId', 'none'];

export interface OutflowSource {
  topicFilter: string;
}
export interface OutflowTarget {
  kafkaTopic: string;
  keyStrategy: KeyStrategy;
  format: OutflowFormat;
  payloadEncoding: PayloadEncoding;
}
export interface InflowSource {
  kafkaTopic: string;
}
export interface InflowTarget {
  /** MQTT topic with `${key}` / `${header.NAME}` placeholders; `<parent>/p2p/${key}` reaches one client. */
  topicTemplate: string;
  qos: 0 | 1;
  retain: boolean;
}
export interface StatusSource {
  /** Only clients of this group; all clients of the instance when absent. */
  groupId?: string;
}
export interface StatusTarget {
  kafkaTopic: string;
  keyStrategy: StatusKeyStrategy;
}

/** What a rule does, without its identity: the part the console validates. */
export type RuleDefinition =
  | { kind: 'outflow'; source: OutflowSource; target: OutflowTarget }
  | { kind: 'inflow'; source: InflowSource; target: InflowTarget }
  | { kind: 'status'; source: StatusSource; target: StatusTarget };

/** A validated REST body: `{name, kind, source, target, enabled}`. */
export type RuleBody = RuleDefinition & { name: string; enabled: boolean };

interface RuleIdentity {
  id: string;
  instanceId: string;
  name: string;
  enabled: boolean;
  /** ms since epoch: an inflow rule delivers every record of its source topic produced from then on. */
  createdAt: number;
}
export interface OutflowRule extends RuleIdentity {
  kind: 'outflow';
  source: OutflowSource;
  target: OutflowTarget;
}
export interface InflowRule extends RuleIdentity {
  kind: 'inflow';
  source: InflowSource;
  target: InflowTarget;
}
export interface StatusRule extends RuleIdentity {
  kind: 'status';
  source: StatusSource;
  target: StatusTarget;
}
/** A stored rule as the router uses it. */
export type Rule = OutflowRule | InflowRule | StatusRule;

/** The shape of a stored row (RuleEntity) before validation. */
export interface StoredRule {
  id: string;
  instanceId: string;
  name: string;
  kind: RuleKind | string;
  source: unknown;
  target: unknown;
  enabled: boolean;
  createdAt: Date;
}

/** A rule's source and target as the JSON columns of RuleEntity hold them. */
export interface StoredRuleSpec {
  source: Record<string, unknown>;
  target: Record<string, unknown>;
}

/** A refused field: `field` is a dotted path such as `target.kafkaTopic`. */
export interface RuleFieldError {
  field: string;
  reason: string;
}

export type RuleValidation<T> = { ok: true; value: T } | { ok: false; errors: RuleFieldError[] };
