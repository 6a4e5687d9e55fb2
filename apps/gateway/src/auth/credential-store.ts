import type { Logger } from '#config';
import type {
  AccessKeyCredential,
  CredentialLookupRepository,
  DeviceCredentialRecord,
  InstanceRecord,
  TokenCredential,
} from '#domain/persistence';
import { TtlCache, type Clock } from './ttl-cache.js';

/** Parent topics of one instance, read synchronously by the ACL on every PUBLISH. */
export interface ParentTopics {
  readonly names: ReadonlySet<string>;
}

interface TopicsHolder extends ParentTopics {
  names: ReadonlySet<string>;
  loadedAt: number;
  refreshing: boolean;
}

const NEGATIVE_TTL_MS = 2_000;
const MAX_ENTRIES = 200_000;
/** Deleted instance IDs remembered for logins already past the lookup; IDs are never reused, oldest forgotten first. */
const MAX_DELETED_INSTANCES = 10_000;

/**
 * Credential lookups cached for `ttlMs` (config.authCacheTtlMs), "not found" for at most two
 * seconds, so a reconnect storm costs one query per distinct credential. Parent topics are
 * refreshed in the background once stale: PUBLISH never waits for the database.
 */
export class CredentialStore {
  private readonly cache: TtlCache<unknown>;
  private readonly topics = new Map<string, TopicsHolder>();
  private readonly deleted = new Set<string>();
  private readonly clock: Clock;

  constructor(
    private readonly repo: CredentialLookupRepository,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    clock?: Clock,
  ) {
    this.clock = clock ?? Date.now;
    this.cache = new TtlCache<unknown>({
      ttlMs,
      negativeTtlMs: Math.min(ttlMs, NEGATIVE_TTL_MS),
      maxEntries: MAX_ENTRIES,
      clock: this.clock,
    });
  }

  instance(instanceId: string): Promise<InstanceRecord | null> {
    return this.cached(instanceKey(instanceId), () => this.repo.findInstance(instanceId));
  }

  accessKey(instanceId: string, accessKeyId: string): Promise<AccessKeyCredential | null> {
    return this.cached(accessKeyKey(instanceId, accessKeyId), () => this.repo.findAccessKey(instanceId, accessKeyId));
  }

  // The cached* readers answer what the lookups above would answer at once from the cache
  // (undefined when they would have to wait): a CONNECT whose credentials are all cached is
  // checked without a promise per lookup. Same entries, same TTL, same invalidations.

  cachedInstance(instanceId: string): InstanceRecord | undefined {
    return this.cache.fresh(instanceKey(instanceId)) as InstanceRecord | undefined;
  }

  cachedAccessKey(instanceId: string, accessKeyId: string): AccessKeyCredential | undefined {
    return this.cache.fresh(accessKeyKey(instanceId, accessKeyId)) as AccessKeyCredential | undefined;
  }

  /** True when the group is known to exist; undefined when only groupExists can tell. */
  cachedGroupExists(instanceId: string, groupId: string): true | undefined {
    return this.cache.fresh(groupKey(instanceId, groupId)) === true ? true : undefined;
  }

  /** The instance's parent topics once loadParentTopics loaded them (refreshed in the background when stale). */
  cachedParentTopics(instanceId: string): ParentTopics | undefined {
    const holder = this.topics.get(instanceId);
    if (holder !== undefined) this.refreshIfStale(instanceId, holder);
    return holder;
  }

  token(tokenHash: string): Promise<TokenCredential | null> {
    return this.cached(`tok:${tokenHash}`, () => this.repo.findToken(tokenHash));
  }

  deviceCredential(deviceAccessKeyId: string): Promise<DeviceCredentialRecord | null> {
    return this.cached(`dc:${deviceAccessKeyId}`, () => this.repo.findDeviceCredential(deviceAccessKeyId));
  }

  async groupExists(instanceId: string, groupId: string): Promise<boolean> {
    // Cache only existence: null means "no such group" for the negative TTL.
    const found = await this.cached(groupKey(instanceId, groupId), async () => ((await this.repo.groupExists(instanceId, groupId)) ? true : null));
    return found === true;
  }

  /** Loads the instance's parent topics when they are not cached yet (on CONNECT). */
  async loadParentTopics(instanceId: string): Promise<ParentTopics> {
    const holder = this.topics.get(instanceId);
    if (holder !== undefined) {
      this.refreshIfStale(instanceId, holder);
      return holder;
    }
    const names = new Set(await this.repo.parentTopics(instanceId));
    // A concurrent CONNECT may have created it meanwhile: keep one holder per instance.
    const existing = this.topics.get(instanceId);
    if (existing !== undefined) return existing;
    const created: TopicsHolder = { names, loadedAt: this.clock(), refreshing: false };
    this.topics.set(instanceId, created);
    return created;
  }

  /** The live holder for the ACL; stale sets are served while a refresh runs in the background. */
  parentTopics(holder: ParentTopics, instanceId: string): ReadonlySet<string> {
    // Only holders this store made are refreshed (the anonymous instance gets a fixed empty one).
    if (this.topics.get(instanceId) === holder) this.refreshIfStale(instanceId, holder as TopicsHolder);
    return holder.names;
  }

  invalidateToken(tokenHash: string): void {
    this.cache.delete(`tok:${tokenHash}`);
  }

  invalidateAccessKey(accessKeyId: string): void {
    const prefix = accessKeyPrefix(accessKeyId);
    this.cache.deleteWhere((key) => key.startsWith(prefix));
  }

  invalidateDeviceCredential(deviceAccessKeyId: string): void {
    this.cache.delete(`dc:${deviceAccessKeyId}`);
  }

  invalidateInstance(instanceId: string): void {
    this.cache.delete(instanceKey(instanceId));
    const groups = groupPrefix(instanceId);
    this.cache.deleteWhere((key) => key.startsWith(groups));
    const holder = this.topics.get(instanceId);
    if (holder !== undefined) holder.loadedAt = 0; // refreshed on next use, never emptied meanwhile
  }

  /**
   * The instance was deleted: drops its row, groups, parent topics and every key, token and
   * device credential of it at once, so a reconnect is looked up afresh and refused.
   */
  forgetInstance(instanceId: string): void {
    this.cache.delete(instanceKey(instanceId));
    const groups = groupPrefix(instanceId);
    this.cache.deleteWhere((key) => key.startsWith(groups));
    // Keys, tokens and device credentials carry their instance; cache keys do not all name it.
    this.cache.deleteWhereValue((value) => (value as { instanceId?: unknown } | null)?.instanceId === instanceId);
    this.topics.delete(instanceId);
    if (this.deleted.size >= MAX_DELETED_INSTANCES) this.deleted.delete(this.deleted.values().next().value!);
    this.deleted.add(instanceId);
  }

  /**
   * The instance was deleted while this node ran (forgetInstance). A login whose lookups
   * finished before the instance-deleted command arrived is checked against this when it is
   * accepted and again when it is registered.
   */
  instanceDeleted(instanceId: string): boolean {
    return this.deleted.has(instanceId);
  }

  private refreshIfStale(instanceId: string, holder: TopicsHolder): void {
    // Holders the store did not make (the anonymous instance's frozen empty set) never refresh.
    if (holder.loadedAt === undefined) return;
    if (holder.refreshing || this.clock() - holder.loadedAt < this.ttlMs) return;
    holder.refreshing = true;
    this.repo.parentTopics(instanceId).then(
      (names) => {
        holder.names = new Set(names);
        holder.loadedAt = this.clock();
        holder.refreshing = false;
      },
      (err: unknown) => {
        holder.refreshing = false;
        holder.loadedAt = this.clock() - this.ttlMs / 2; // retry soon, not on every PUBLISH
        this.logger.warn({ err, instanceId }, 'parent topics refresh failed; using the cached set');
      },
    );
  }

  private cached<V>(key: string, load: () => Promise<V | null>): Promise<V | null> {
    return this.cache.get(key, load) as Promise<V | null>;
  }
}

// Cache keys; invalidateAccessKey and invalidateInstance select them by their prefixes.
const instanceKey = (instanceId: string): string => `inst:${instanceId}`;
const accessKeyPrefix = (accessKeyId: string): string => `ak:${accessKeyId}|`;
const accessKeyKey = (instanceId: string, accessKeyId: string): string => `${accessKeyPrefix(accessKeyId)}${instanceId}`;
const groupPrefix = (instanceId: string): string => `grp:${instanceId}|`;
const groupKey = (instanceId: string, groupId: string): string => `${groupPrefix(instanceId)}${groupId}`;
