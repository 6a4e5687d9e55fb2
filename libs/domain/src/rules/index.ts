// Pure rule model: validation of rule bodies, matching, topic templates, outflow values.
export {
  KEY_STRATEGIES,
  OUTFLOW_FORMATS,
  PAYLOAD_ENCODINGS,
  STATUS_KEY_STRATEGIES,
} from './rule.types.js';
export type {
  KeyStrategy,
  OutflowFormat,
  PayloadEncoding,
  StatusKeyStrategy,
  OutflowSource,
  OutflowTarget,
  InflowSource,
  InflowTarget,
  StatusSource,
  StatusTarget,
  RuleDefinition,
  RuleBody,
  Rule,
  OutflowRule,
  InflowRule,
  StatusRule,
  StoredRule,
  StoredRuleSpec,
  RuleFieldError,
  RuleValidation,
} from './rule.types.js';
export {
  validateRuleBody,
  validateRuleDefinition,
  parseStoredRule,
  storedRuleSpec,
  isReservedKafkaTopic,
  DEFAULT_MAX_TOPIC_LENGTH,
  MAX_RULE_NAME_LENGTH,
} from './rule-validation.js';
export type { RuleValidationOptions } from './rule-validation.js';
export { parseTopicTemplate, renderTopicTemplate } from './topic-template.js';
export type { TopicTemplate, TemplatePart, TemplateParse, TemplateRender, TemplateInput, RenderFailure } from './topic-template.js';
export { outflowKey, outflowValue, buildOutflowEnvelope } from './outflow.js';
export type { UplinkMessage, OutflowEnvelope } from './outflow.js';
export { downlinkDestination } from './inflow.js';
export type { DownlinkDestination, DestinationResult } from './inflow.js';
export { statusSourceMatches, statusKey } from './status.js';
export { RuleSet } from './rule-set.js';
