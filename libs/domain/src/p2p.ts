/** Second level that marks a point-to-point topic: `<parent>/p2p/<clientId>`. */
export const P2P_LEVEL = 'p2p';

export interface ParsedP2PTopic {
  parent: string;
  targetClientId: string;
}

/** The parts of a P2P topic, or null unless `topic` has exactly the three levels `<parent>/p2p/<clientId>`. */
export function parseP2PTopic(topic: string): ParsedP2PTopic | null {
  const first = topic.indexOf('/');
  if (first <= 0) return null;
  const second = topic.indexOf('/', first + 1);
  if (second < 0 || topic.slice(first + 1, second) !== P2P_LEVEL) return null;
  const targetClientId = topic.slice(second + 1);
  if (targetClientId.length === 0 || targetClientId.includes('/')) return null;
  return { parent: topic.slice(0, first), targetClientId };
}

export function p2pTopic(parent: string, clientId: string): string {
  return `${parent}/${P2P_LEVEL}/${clientId}`;
}
