import type { ClientContext, ConnectionRegistry, DisconnectReason, GrantedSubscription, QoS } from '../gateway.ports.js';
import { internalClientId } from '../tenancy/namespace.js';
import type { ConnectionState } from './connection-state.js';

/** How the registry closes a connection; the gateway passes EngineBoundary.close so a throw stays with that connection. */
export type CloseConnection = (state: ConnectionState, reason: DisconnectReason) => void;

const closeDirectly: CloseConnection = (state, reason) => state.close(reason);

/** Clients connected to this node, by instance and client ID. */
export class LocalConnectionRegistry implements ConnectionRegistry {
  private readonly byId = new Map<string, ConnectionState>();

  constructor(private readonly closeConnection: CloseConnection = closeDirectly) {}

  get size(): number {
    return this.byId.size;
  }

  /** Keyed by aedes' client ID, which is already the namespaced ID (no second copy of the string). */
  add(state: ConnectionState): void {
    this.byId.set(state.client.id, state);
  }

  /** Removes the entry only if it still belongs to this connection (a takeover replaced it otherwise). */
  remove(state: ConnectionState): void {
    const key = state.client.id;
    if (this.byId.get(key) === state) this.byId.delete(key);
  }

  state(instanceId: string, clientId: string): ConnectionState | undefined {
    return this.byId.get(internalClientId(instanceId, clientId));
  }

  get(instanceId: string, clientId: string): ClientContext | undefined {
    return this.state(instanceId, clientId)?.ctx;
  }

  subscriptions(instanceId: string, clientId: string): GrantedSubscription[] | undefined {
    const state = this.state(instanceId, clientId);
    if (state === undefined || state.ns === undefined) return undefined;
    const out: GrantedSubscription[] = [];
    for (const [filter, sub] of Object.entries(state.client.subscriptions)) {
      const topic = state.ns.unwrap(filter);
      if (topic !== null) out.push({ topic, qos: sub.qos as QoS });
    }
    return out;
  }

  close(instanceId: string, clientId: string, reason: DisconnectReason): boolean {
    const state = this.state(instanceId, clientId);
    if (state === undefined) return false;
    this.closeConnection(state, reason);
    return true;
  }

  closeWhere(predicate: (ctx: ClientContext) => boolean, reason: DisconnectReason): number {
    let closed = 0;
    for (const state of [...this.byId.values()]) {
      if (predicate(state.ctx!)) {
        this.closeConnection(state, reason);
        closed++;
      }
    }
    return closed;
  }

  list(): ClientContext[] {
    return [...this.byId.values()].map((s) => s.ctx!);
  }

  states(): IterableIterator<ConnectionState> {
    return this.byId.values();
  }
}
