/**
 * Instances share one aedes broker; they are kept apart by prefixing every topic, filter and
 * client ID with `<instanceId>/` inside the broker. Instance IDs never contain '/', so the
 * first '/' always ends the prefix and equal topic names of two instances never meet in the
 * matcher, the retained store or the session store.
 */
export class Namespace {
  readonly prefix: string;

  constructor(readonly instanceId: string) {
    if (instanceId.length === 0 || instanceId.includes('/')) throw new Error(`invalid instance id for a namespace: ${instanceId}`);
    this.prefix = instanceId + '/';
  }

  /** Topic name or filter as the broker stores it. */
  wrap(topic: string): string {
    return this.prefix + topic;
  }

  /** The client's view of an internal topic; null when it belongs to another namespace. */
  unwrap(internal: string): string | null {
    return internal.startsWith(this.prefix) ? internal.slice(this.prefix.length) : null;
  }
}

/** aedes keys sessions, wills and takeover by client ID: two instances may use the same one. */
export function internalClientId(instanceId: string, clientId: string): string {
  return instanceId + '/' + clientId;
}

/**
 * Where an allowed P2P PUBLISH goes after it was handed to the target: a topic outside every
 * namespace, so no subscription (not even `#`, which becomes `<instance>/#`) can match it.
 */
export const P2P_SINK_TOPIC = '$fleetmq/p2p-delivered';
