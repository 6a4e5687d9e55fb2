// What other apps (the all-in-one entry) and tests use of the rule router.
export { RuleRouter, DEFAULT_ROUTER_OPTIONS } from './rule-router.js';
export type { RuleRouterDeps, RuleRouterOptions } from './rule-router.js';
export { routerIdFrom, routerOptionsFrom } from './rule-router.config.js';
export { startOpsServer } from './http-server.js';
export { DEFAULT_TUNING } from './flow-consumer.js';
export type { ConsumerTuning } from './flow-consumer.js';
export { DLQ_DETAIL_HEADER, DLQ_RULE_HEADER } from './batch-pipeline.js';
export type { DlqReason } from './batch-pipeline.js';
