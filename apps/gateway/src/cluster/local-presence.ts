import { ABSENT, OFFLINE_PERSISTENT, type ClientLocation } from '#messaging';
import type { ClientContext, PresenceDirectory } from '../gateway.ports.js';
import type { LocalConnectionRegistry } from '../session/connection-registry.js';
import { internalClientId } from '../tenancy/namespace.js';

/**
 * "Where is client X" with the memory session store: this node's registry answers for the
 * clients connected here, and a set of the persistent sessions (cleanSession=false) that ended
 * here tells an offline persistent client from an absent one; aedes' memory persistence holds
 * their queues on this node only. Nothing is shared with other nodes (they have their own).
 */
export class LocalPresence implements PresenceDirectory {
  /** Internal (namespaced) client IDs of offline persistent sessions. */
  private readonly offlinePersistent = new Set<string>();

  constructor(private readonly registry: LocalConnectionRegistry, private readonly nodeId: string) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async connected(ctx: ClientContext): Promise<void> {
    this.offlinePersistent.delete(internalClientId(ctx.instanceId, ctx.clientId));
  }

  async disconnected(ctx: ClientContext): Promise<void> {
    // A takeover here already registered the new connection: the session is not offline.
    if (ctx.cleanSession || this.registry.get(ctx.instanceId, ctx.clientId) !== undefined) return;
    this.offlinePersistent.add(internalClientId(ctx.instanceId, ctx.clientId));
  }

  async locate(instanceId: string, clientId: string): Promise<ClientLocation> {
    const here = this.registry.get(instanceId, clientId);
    if (here !== undefined) return { state: 'online', nodeId: this.nodeId, persistent: !here.cleanSession };
    return this.offlinePersistent.has(internalClientId(instanceId, clientId)) ? OFFLINE_PERSISTENT : ABSENT;
  }
}
