/** Redis names of the presence directory and the node channels; `fleetmq:` keeps them apart from aedes' own keys. */
export const NODE_KEY_PREFIX = 'fleetmq:node:';
export const NODES_KEY = 'fleetmq:nodes';

export function presenceKey(instanceId: string, clientId: string): string {
  return `fleetmq:presence:${instanceId}/${clientId}`;
}

export function nodeClientsKey(nodeId: string): string {
  return `${NODE_KEY_PREFIX}${nodeId}:clients`;
}

/** The scripts build it as NODE_KEY_PREFIX .. node .. ':alive' (presence-scripts.ts): keep both in step. */
export function aliveKey(nodeId: string): string {
  return `${NODE_KEY_PREFIX}${nodeId}:alive`;
}

/** Pub/sub channel on which a node receives P2P messages for the clients it holds. */
export function nodeP2PChannel(nodeId: string): string {
  return `${NODE_KEY_PREFIX}${nodeId}:p2p`;
}
