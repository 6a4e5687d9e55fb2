import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';
import { Redis } from 'ioredis';
import type { Logger } from '#config';
import type { TakeoverEmitter } from './aedes-adapter.js';

/**
 * The opt-in Redis session store (FLEETMQ_SESSION_STORE=redis), the only place FleetMQ touches
 * aedes-persistence-redis and mqemitter-redis (and through them ioredis):
 * - the persistence keeps subscriptions, sessions (cleanSession=false), QoS 1/2 offline queues,
 *   outgoing inflight, retained messages and wills in Redis, so any node can resume a session;
 * - the emitter carries every broker publish over Redis pub/sub, so a subscriber on one node
 *   gets what a client on another node published.
 * Both connect to REDIS_URL; a Redis database number does not separate pub/sub channels, so
 * gateway tiers that must not see each other need Redis servers of their own.
 */

/** The versions this module was written and tested against (aedes 1.2.0's optional peer range, mqemitter ^7). */
export const REDIS_SESSION_STORE_VERSIONS = { 'aedes-persistence-redis': '11.2.2', 'mqemitter-redis': '7.2.1' } as const;

type PackageName = keyof typeof REDIS_SESSION_STORE_VERSIONS;

/** mqemitter-redis as aedes uses it; `state` reports its connections' errors. */
interface RedisEmitter extends TakeoverEmitter {
  state: { on(event: 'error', listener: (err: Error) => void): unknown };
}

interface RedisPersistenceOptions {
  conn: Redis;
  /** LRANGE end when a session resumes: at most this many + 1 queued packets per reconnect. */
  maxSessionDelivery: number;
}

interface RedisPersistence {
  destroy(cb?: () => void): Promise<void> | void;
}

export interface RedisSessionStore {
  /** Handed to Aedes.createBroker (persistence and mq). */
  readonly brokerOptions: Pick<AedesOptions, 'persistence' | 'mq'>;
  /** The shared emitter, for listeners that must be added before aedes adds its own (aedes-adapter.ts). */
  readonly takeoverEmitter: TakeoverEmitter;
  /** Calls `listener` each time the persistence's connection is ready again after it was lost (not at the first connect). */
  onReconnect(listener: () => void): void;
  /**
   * Resolves true when `clientId`'s (aedes' namespaced ID) offline queue is empty: one EXISTS of
   * the persistence's list key. Only with the tested aedes-persistence-redis, whose key it names:
   * with another version a wrong key would read as empty and the queue would not be delivered.
   */
  readonly queueEmpty?: (clientId: string) => Promise<boolean>;
  /** Resolves when Redis answers PING (readiness). */
  ping(): Promise<void>;
  /** Closes the persistence and its connection (also when aedes never set it up); aedes closes the emitter in broker.close(). */
  close(): Promise<void>;
}

// Named `require` so the boundary check (tools/boundaries) sees which packages this file loads.
const require = createRequire(import.meta.url);

function installedVersion(name: PackageName): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Builds the persistence and the emitter on `redisUrl`. A version other than the tested one is
 * started anyway, with a warning naming both versions: the aedes persistence contract is
 * tested by the multi-node e2e suite only against REDIS_SESSION_STORE_VERSIONS.
 */
export function createRedisSessionStore(
  redisUrl: string,
  logger: Logger,
  foundVersions: Partial<Record<PackageName, string>> = {},
): RedisSessionStore {
  const log = logger.child({ component: 'redis-session-store' });
  const untested = new Set<PackageName>();
  for (const name of Object.keys(REDIS_SESSION_STORE_VERSIONS) as PackageName[]) {
    const expectedVersion = REDIS_SESSION_STORE_VERSIONS[name];
    const foundVersion = foundVersions[name] ?? installedVersion(name);
    if (foundVersion !== expectedVersion) {
      untested.add(name);
      log.warn({ engine: name, expectedVersion, foundVersion }, `${name} ${foundVersion} is not the tested ${expectedVersion}: session sharing is untested with it`);
    }
  }
  const createPersistence = require('aedes-persistence-redis') as (options: RedisPersistenceOptions) => RedisPersistence;
  const createEmitter = require('mqemitter-redis') as (options: { connectionString: string }) => RedisEmitter;
  // The persistence's connection is FleetMQ's own: it also serves the readiness probe,
  // and can be closed even when aedes never set the persistence up (its destroy() then throws).
  const db = new Redis(redisUrl);
  const persistence = createPersistence({
    conn: db,
    // Its default (1000) would leave the rest of a longer queue for a later reconnect: the bound is
    // FleetMQ's (bounded-offline-queue.ts), which reads the whole queue to trim it and delivers what is left.
    maxSessionDelivery: Number.MAX_SAFE_INTEGER,
    // No packetTTL: its two EXPIREs per message come between the packet's write and its place in the
    // queues (it lost the race with a quick resume in the two-node e2e), and the trim bounds age already.
  });
  const emitter = createEmitter({ connectionString: redisUrl });
  // ioredis reconnects by itself; each error is logged, not thrown (an unhandled 'error' would end the process).
  db.on('error', (err: Error) => log.warn({ err: err.message }, 'Redis session store connection error'));
  emitter.state.on('error', (err) => log.warn({ err: err.message }, 'Redis pub/sub connection error'));
  const reconnectListeners: Array<() => void> = [];
  let readyBefore = false;
  db.on('ready', () => {
    if (readyBefore) for (const listener of reconnectListeners) listener();
    readyBefore = true;
  });
  return {
    brokerOptions: { persistence: persistence as unknown as AedesOptions['persistence'], mq: emitter as unknown as AedesOptions['mq'] },
    takeoverEmitter: emitter,
    // aedes-persistence-redis 11.2.2 (asyncPersistence.js outgoingKey): a client's queue is the list
    // `outgoing:<encodeURIComponent(id)>`, and Redis deletes a list when its last element goes.
    queueEmpty: untested.has('aedes-persistence-redis')
      ? undefined
      : async (clientId) => (await db.exists(`outgoing:${encodeURIComponent(clientId)}`)) === 0,
    onReconnect: (listener) => {
      reconnectListeners.push(listener);
    },
    ping: async () => {
      await db.ping();
    },
    close: async () => {
      try {
        await persistence.destroy();
      } catch (err) {
        log.debug({ err: String(err) }, 'Redis persistence was not set up; closing its connection');
      } finally {
        db.disconnect();
      }
    },
  };
}
