/** Kafka topics FleetMQ owns (DESIGN.md "Kafka records"); created at start by `ensureTopics`. */
export const UPLINK_TOPIC = 'fleetmq.uplink';
export const DOWNLINK_TOPIC = 'fleetmq.downlink';
export const PRESENCE_TOPIC = 'fleetmq.presence';
export const CONTROL_TOPIC = 'fleetmq.control';
export const DLQ_TOPIC = 'fleetmq.dlq';

export const INTERNAL_TOPICS: readonly string[] = [UPLINK_TOPIC, DOWNLINK_TOPIC, PRESENCE_TOPIC, CONTROL_TOPIC, DLQ_TOPIC];

/**
 * Consumer group of one gateway node on the downlink topic, with the memory session store: one
 * group per node, so every node sees every record (nothing else carries a message between nodes).
 */
export function gatewayDownlinkGroup(nodeId: string): string {
  return `fleetmq-gateway-${nodeId}`;
}


/** Consumer group of one process on the control topic: each process gets every command. */
export function controlGroup(role: string, nodeId: string): string {
  return `fleetmq-control-${role}-${nodeId}`;
}
