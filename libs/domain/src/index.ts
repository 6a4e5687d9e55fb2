// Public surface of #domain: pure value objects and rules. TypeORM lives in #domain/persistence.
export { DEFAULT_INSTANCE_ID, generateInstanceId, isValidInstanceId } from './instance-id.js';
export { isValidGroupId, MAX_GROUP_ID_LENGTH } from './group-id.js';
export { parseClientId, MAX_CLIENT_ID_LENGTH, CLIENT_ID_SEPARATOR } from './client-id.js';
export type { ParsedClientId } from './client-id.js';
export {
  validateTopicName,
  validateTopicFilter,
  isValidParentTopicName,
  parentTopicOf,
  TOPIC_PROBLEMS,
  MAX_MQTT_STRING_BYTES,
} from './topic.js';
export type { TopicProblem } from './topic.js';
export { topicMatches, filterCovers } from './topic-match.js';
export { parseP2PTopic, p2pTopic, P2P_LEVEL, isUnderP2P, downlinkTarget } from './p2p.js';
export type { ParsedP2PTopic, DownlinkTarget, P2PProblem } from './p2p.js';
export { isValidKafkaTopicName } from './kafka-topic.js';
export { PERMISSIONS, TOKEN_ACTIONS, RULE_KINDS, isPermission, isTokenAction, isRuleKind } from './types.js';
export type { Permission, TokenAction, RuleKind } from './types.js';
export * from './rules/index.js';
