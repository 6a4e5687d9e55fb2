export type Clock = () => number;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface TtlCacheOptions {
  /** How long a found value is trusted. 0 disables caching (concurrent loads still share one query). */
  ttlMs: number;
  /** How long "not found" (null) is trusted; short, so a freshly created credential works soon. */
  negativeTtlMs: number;
  /** Entries kept at most; expired ones are swept first, then the oldest go. */
  maxEntries: number;
  clock?: Clock;
}

/**
 * A read-through cache for credential lookups: concurrent misses of one key share one load
 * (a reconnect storm makes one query per credential, not one per client), and a failed
 * reload falls back to the expired value when there is one, so a short database outage
 * does not lock out devices whose credentials were seen recently.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V | null>>();
  private readonly loading = new Map<string, Promise<V | null>>();
  private readonly clock: Clock;
  /** Bumped by every invalidation: a load that began before one must not cache what it read. */
  private generation = 0;

  constructor(private readonly options: TtlCacheOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The value `get` would answer at once, without a promise: a found value still within its
   * TTL, else undefined (expired, not cached, or a cached "not found", which `get` answers).
   * The connect path asks this first, so a cached credential costs no microtask.
   */
  fresh(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.value !== null && entry.expiresAt > this.clock() ? entry.value : undefined;
  }

  async get(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > this.clock()) return entry.value;
    const pending = this.loading.get(key);
    if (pending !== undefined) return pending;
    const promise = this.load(key, load, entry);
    this.loading.set(key, promise);
    try {
      return await promise;
    } finally {
      // An invalidation meanwhile may have let a newer load of the key start: leave that one.
      if (this.loading.get(key) === promise) this.loading.delete(key);
    }
  }

  delete(key: string): boolean {
    this.invalidated();
    return this.entries.delete(key);
  }

  /** Removes every key the predicate selects; returns how many. */
  deleteWhere(predicate: (key: string) => boolean): number {
    this.invalidated();
    let removed = 0;
    for (const key of this.entries.keys()) {
      if (predicate(key)) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Removes every entry whose cached value the predicate selects; returns how many. */
  deleteWhereValue(predicate: (value: V | null) => boolean): number {
    this.invalidated();
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (predicate(entry.value)) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.invalidated();
    this.entries.clear();
  }

  /** Loads under way read data that may be gone: later gets start their own, and nothing they read is cached. */
  private invalidated(): void {
    this.generation++;
    this.loading.clear();
  }

  private async load(key: string, load: () => Promise<V | null>, stale: Entry<V | null> | undefined): Promise<V | null> {
    let value: V | null;
    const generation = this.generation;
    try {
      value = await load();
    } catch (err) {
      // Only a positive stale value is worth serving; a stale "not found" must not lock anyone out.
      if (stale !== undefined && stale.value !== null) return stale.value;
      throw err;
    }
    // Read before an invalidation (a revocation, a deleted instance): answer it, never cache it.
    if (generation !== this.generation) return value;
    const ttl = value === null ? this.options.negativeTtlMs : this.options.ttlMs;
    if (ttl > 0) this.store(key, { value, expiresAt: this.clock() + ttl });
    else this.entries.delete(key);
    return value;
  }

  private store(key: string, entry: Entry<V | null>): void {
    this.entries.delete(key); // re-insert so Map order stays oldest-first
    if (this.entries.size >= this.options.maxEntries) this.sweep();
    this.entries.set(key, entry);
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Still full: drop the oldest quarter rather than one by one on every insert.
    if (this.entries.size >= this.options.maxEntries) {
      let drop = Math.max(1, Math.floor(this.options.maxEntries / 4));
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
  }
}
