import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';
import { TopicMemo } from './topic-memo.js';

// Named `require` so the boundary check (tools/boundaries) sees which package this file loads.
const require = createRequire(import.meta.url);

type Persistence = NonNullable<AedesOptions['persistence']>;

/** aedes' own default persistence (aedes-persistence, in memory), made here so it can be wrapped (bounded-offline-queue.ts). */
export function createMemoryPersistence(): Persistence {
  return cacheSubscriptionLookups((require('aedes-persistence') as () => Persistence)());
}

/** The calls of an aedes persistence (aedes-persistence's CallBackPersistence) the lookup cache sees. */
export interface SubscriptionLookups {
  subscriptionsByTopic(topic: string): Promise<unknown[]>;
  addSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
}

/**
 * aedes looks up the persistent sessions' QoS > 0 subscriptions of every QoS > 0 PUBLISH's topic
 * (aedes.js enqueueOffline, to queue for sessions that are offline), a topic-tree match per
 * message; in profiles of QoS 1 fan-in that match was a twentieth of the MQTT thread. The set
 * changes only when a persistent session subscribes or unsubscribes, or is wiped by a clean
 * connect: so lookups are kept per topic (the same resolved promise is handed out again) and
 * forgotten at every such change. A clean connect of a client that never stored a
 * subscription (the common case: aedes wipes on every clean connect) changes nothing and keeps
 * them. Only for the in-memory store: with Redis, other nodes change the set too.
 */
export function cacheSubscriptionLookups<P extends object>(persistence: P): P {
  const inner = persistence as unknown as SubscriptionLookups;
  const lookups = new TopicMemo((topic) => {
    const lookup = inner.subscriptionsByTopic(topic);
    lookup.catch(() => lookups.forget(topic, lookup));
    return lookup;
  });
  /** Clients with subscriptions stored (added since their last wipe). */
  const holders = new Set<string>();
  const forget = (): void => lookups.clear();
  /** Forgets now (the store changes synchronously in the call) and again once the change settles. */
  const changing = <T>(change: Promise<T>): Promise<T> => {
    forget();
    return change.finally(forget);
  };
  const cached = Object.create(persistence) as P & SubscriptionLookups;
  cached.subscriptionsByTopic = (topic) => lookups.get(topic);
  cached.addSubscriptions = (client, subs) => {
    holders.add(client.id);
    return changing(inner.addSubscriptions(client, subs));
  };
  cached.removeSubscriptions = (client, subs) => changing(inner.removeSubscriptions(client, subs));
  cached.cleanSubscriptions = (client) => {
    if (!holders.delete(client.id)) return inner.cleanSubscriptions(client);
    return changing(inner.cleanSubscriptions(client));
  };
  return cached;
}
