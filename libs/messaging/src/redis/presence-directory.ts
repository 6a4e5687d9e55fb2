import { Redis } from 'ioredis';
import type { Logger } from '#config';
import { PresenceReadOnlyError } from '../errors.js';
import { closeRedis } from './close-redis.js';
import { NODE_KEY_PREFIX, NODES_KEY, aliveKey, nodeClientsKey, presenceKey } from './presence-keys.js';
import { CONNECT_LUA, DISCONNECT_LUA, LOCATE_LUA, SWEEP_LUA } from './presence-scripts.js';

/**
 * Where a client is, as the gateway tier's one authority says: connected to `nodeId` (a node
 * whose liveness key is alive), offline with a persistent session (cleanSession=false: QoS 1/2
 * messages are queued for it), or absent (never connected, clean, or its node died).
 */
export type ClientLocation =
  | { readonly state: 'online'; readonly nodeId: string; readonly persistent: boolean }
  | { readonly state: 'offline-persistent' }
  | { readonly state: 'absent' };

export const OFFLINE_PERSISTENT: ClientLocation = Object.freeze({ state: 'offline-persistent' });
export const ABSENT: ClientLocation = Object.freeze({ state: 'absent' });

export interface RedisPresenceDirectoryOptions {
  redisUrl: string;
  logger: Logger;
  /** The gateway node writing entries; undefined for a reader (the console). */
  nodeId?: string;
  /** How often the node refreshes its liveness key and sweeps dead nodes' entries. */
  heartbeatMs?: number;
}

/** Keys a dead node's sweep pops per script call: bounds how long one call holds Redis. */
const SWEEP_BATCH = 500;
/** Missed heartbeats before a node counts as dead; never below MIN_LIVENESS_TTL_MS (event-loop stalls under load). */
const LIVENESS_HEARTBEATS = 3;
const MIN_LIVENESS_TTL_MS = 1_500;

interface PresenceCommands {
  fleetmqPresenceConnect(key: string, nodeClients: string, nodes: string, nodeId: string, token: string, persistent: string): Promise<number>;
  fleetmqPresenceDisconnect(key: string, nodeClients: string, nodeId: string, token: string): Promise<number>;
  fleetmqPresenceLocate(key: string, nodePrefix: string): Promise<[string, string] | number>;
  fleetmqPresenceSweep(nodeClients: string, alive: string, nodes: string, nodeId: string, batch: number, force: string): Promise<number>;
}

type PresenceRedis = Redis & PresenceCommands;

/**
 * The presence directory in Redis (FLEETMQ_SESSION_STORE=redis): the one answer to "where is
 * client X" for routing P2P, the console's lookup and kicks. Each entry is a hash per client
 * `fleetmq:presence:<instanceId>/<clientId>` {n: node, t: connection token, p: persistent}; each
 * node keeps `fleetmq:node:<nodeId>:clients` (its entries, for the sweep) and a liveness key
 * `fleetmq:node:<nodeId>:alive` with a TTL its heartbeat refreshes. Every change is one Lua
 * script (atomic): a disconnect only touches the entry if it is still that connection's, so a
 * takeover on another node is never erased; an entry whose node's liveness key expired reads as
 * offline at once and is rewritten by the next sweep of a live node. The scripts build node keys
 * from arguments: one Redis (or a primary with replicas), not Redis Cluster.
 */
export class RedisPresenceDirectory {
  private readonly redis: PresenceRedis;
  private readonly log: Logger;
  private readonly nodeId: string | undefined;
  private readonly heartbeatMs: number;
  private readonly livenessTtlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(options: RedisPresenceDirectoryOptions) {
    this.log = options.logger.child({ component: 'presence-directory' });
    this.nodeId = options.nodeId;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.livenessTtlMs = Math.max(MIN_LIVENESS_TTL_MS, LIVENESS_HEARTBEATS * this.heartbeatMs);
    const redis = new Redis(options.redisUrl, { lazyConnect: true });
    redis.defineCommand('fleetmqPresenceConnect', { numberOfKeys: 3, lua: CONNECT_LUA });
    redis.defineCommand('fleetmqPresenceDisconnect', { numberOfKeys: 2, lua: DISCONNECT_LUA });
    redis.defineCommand('fleetmqPresenceLocate', { numberOfKeys: 1, lua: LOCATE_LUA });
    redis.defineCommand('fleetmqPresenceSweep', { numberOfKeys: 3, lua: SWEEP_LUA });
    // ioredis reconnects by itself; an unhandled 'error' would end the process.
    redis.on('error', (err: Error) => this.failed('connection', err));
    this.redis = redis as PresenceRedis;
  }

  /** Connects; a node also sweeps what its previous life left under its ID, then announces itself alive. */
  async start(): Promise<void> {
    await this.redis.connect();
    if (this.nodeId === undefined) return;
    await this.sweep(this.nodeId, true);
    await this.beat();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Drops the liveness key (the node's clients were closed first, so its entries are gone) and disconnects. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.nodeId !== undefined && this.redis.status === 'ready') await this.redis.del(aliveKey(this.nodeId)).catch((err: unknown) => this.failed('stop', err));
    await closeRedis(this.redis);
  }

  /** Resolves when Redis answers PING (readiness). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** Records that `token` (one connection of this node) now holds the client. */
  async connected(instanceId: string, clientId: string, token: string, persistent: boolean): Promise<void> {
    const nodeId = this.requireNode();
    await this.redis.fleetmqPresenceConnect(presenceKey(instanceId, clientId), nodeClientsKey(nodeId), NODES_KEY, nodeId, token, persistent ? '1' : '0');
  }

  /**
   * The connection `token` ended: its entry goes (clean session) or stays as offline-persistent,
   * only if it still names this node and token. False when another connection took over.
   */
  async disconnected(instanceId: string, clientId: string, token: string): Promise<boolean> {
    const nodeId = this.requireNode();
    return (await this.redis.fleetmqPresenceDisconnect(presenceKey(instanceId, clientId), nodeClientsKey(nodeId), nodeId, token)) === 1;
  }

  /** One round trip: the entry and its node's liveness are read by one script. */
  async locate(instanceId: string, clientId: string): Promise<ClientLocation> {
    const found = await this.redis.fleetmqPresenceLocate(presenceKey(instanceId, clientId), NODE_KEY_PREFIX);
    if (typeof found !== 'number') return { state: 'online', nodeId: found[0], persistent: found[1] === '1' };
    return found === 1 ? OFFLINE_PERSISTENT : ABSENT;
  }

  private async tick(): Promise<void> {
    try {
      await this.beat();
      for (const node of await this.redis.smembers(NODES_KEY)) if (node !== this.nodeId) await this.sweep(node, false);
    } catch (err) {
      this.failed('heartbeat', err);
    }
  }

  private async beat(): Promise<void> {
    await this.redis.set(aliveKey(this.requireNode()), '1', 'PX', this.livenessTtlMs);
  }

  /** Rewrites a dead (or, with `force`, this restarted) node's entries: persistent ones to offline, clean ones away. */
  private async sweep(nodeId: string, force: boolean): Promise<void> {
    let swept = 0;
    for (;;) {
      const n = await this.redis.fleetmqPresenceSweep(nodeClientsKey(nodeId), aliveKey(nodeId), NODES_KEY, nodeId, SWEEP_BATCH, force ? '1' : '0');
      if (n <= 0) break;
      swept += n;
    }
    if (swept > 0) this.log.info({ node: nodeId, swept }, 'presence entries of a dead gateway node swept');
  }

  private requireNode(): string {
    if (this.nodeId === undefined) throw new PresenceReadOnlyError();
    return this.nodeId;
  }

  private failed(what: string, err: unknown): void {
    // Rate-limited: a Redis outage fails every write and heartbeat at once.
    if (this.failures++ % 100 === 0) this.log.warn({ err: String(err), what, failures: this.failures }, 'presence directory: Redis error');
  }
}
