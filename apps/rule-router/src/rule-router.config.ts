import { hostname } from 'node:os';
import type { FleetMqConfig } from '#config';
import type { RuleRouterOptions } from './rule-router.js';

/**
 * This router's row key in rule_counters. FLEETMQ_NODE_ID when set; the config's default node ID
 * (host:mqttPort) would be shared by every router of a host, so host + pid is used instead.
 */
export function routerIdFrom(config: FleetMqConfig): string {
  return config.nodeId === `${hostname()}:${config.mqttPort}` ? `${hostname()}-${process.pid}` : config.nodeId;
}

/** Router options taken from the validated configuration. */
export function routerOptionsFrom(config: FleetMqConfig): Partial<RuleRouterOptions> & Pick<RuleRouterOptions, 'routerId'> {
  return {
    routerId: routerIdFrom(config),
    createTopics: config.kafkaCreateTopics,
    partitions: config.kafkaPartitions,
    replicationFactor: config.kafkaReplicationFactor,
    maxTopicLength: config.limits.maxTopicLength,
  };
}
