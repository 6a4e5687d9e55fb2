import type { Logger } from '#config';
import { isRowDataError, type ClientSessionRepository, type ConnectedEpoch, type SessionConnect, type SessionUpdate } from '#domain/persistence';

export interface SessionOpen {
  instanceId: string;
  clientId: string;
  remoteAddress: string;
  /** clean=false: the row keeps the subscriptions stored for the session. */
  clean: boolean;
  connectedAt?: number;
}

/**
 * One connection's row state; small on purpose (one per connected device). What only the
 * connect upsert needs (the row, the promise of its epoch) is let go once it has run.
 */
class SessionState {
  epoch = 0;
  online = true;
  subs: Map<string, number> | null = null;
  disconnectedAt: Date | null = null;
  connectPending = true;
  /** The row to insert; kept only until the upsert gave an epoch (a failed one is retried). */
  connect: SessionConnect | null;
  resolveEpoch: ((epoch: number) => void) | null = null;
  /** Pending until the upsert ran; null afterwards (the epoch field has the answer). */
  epochReady: Promise<number> | null;

  constructor(
    readonly instanceId: string,
    readonly clientId: string,
    connect: SessionConnect,
  ) {
    this.connect = connect;
    this.epochReady = new Promise((resolve) => (this.resolveEpoch = resolve));
  }

  get key(): string {
    return `${this.instanceId}/${this.clientId}`;
  }

  /** The epoch once the connect upsert ran (0 when it failed). */
  epochPromise(): Promise<number> {
    return this.epochReady ?? Promise.resolve(this.epoch);
  }
}

export interface SessionTrackerOptions {
  repo: ClientSessionRepository;
  nodeId: string;
  flushMs: number;
  logger: Logger;
  /** Connects waiting at most this long to share one upsert (a lone connect after a quiet time). */
  connectLingerMs?: number;
  /**
   * The same while connects keep coming (the last batch had more than one, or more were queued
   * while it ran): an upsert costs the gateway about as much CPU for one row as for twenty, so
   * a storm waits a little longer for fuller batches instead of one round trip per few connects.
   */
  stormLingerMs?: number;
  maxConnectBatch?: number;
}

/**
 * Keeps `client_sessions` current for the connections of this node (DESIGN.md "Cross-process
 * state"). The connect upsert assigns the connect epoch, batched over a few milliseconds (longer while connects keep coming) and never
 * awaited by CONNACK; later changes (subscriptions, disconnect) are coalesced per connection and
 * written every `flushMs`, guarded by the epoch so a stale node never overwrites a newer connect.
 * A row the database refuses (its data, not an outage) is isolated by splitting the batch and
 * skipped, so one bad row never keeps the others of its batch out of `client_sessions`.
 */
export class SessionTracker {
  private readonly live = new Map<object, SessionState>();
  private readonly dirty = new Set<SessionState>();
  private connectQueue: SessionState[] = [];
  private connectTimer: NodeJS.Timeout | null = null;
  private connectInFlight: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private dbFailing = false;
  private stopped = false;
  private readonly linger: number;
  private readonly stormLinger: number;
  private readonly maxBatch: number;
  /** Connects kept coming during the last batch: the next one lingers stormLinger. */
  private storm = false;

  constructor(private readonly opts: SessionTrackerOptions) {
    this.linger = opts.connectLingerMs ?? 5;
    this.stormLinger = Math.max(this.linger, opts.stormLingerMs ?? 25);
    this.maxBatch = opts.maxConnectBatch ?? 500;
  }

  start(): void {
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushMs);
    this.flushTimer.unref();
  }

  get connections(): number {
    return this.live.size;
  }

  /** Records a connect; resolves with its epoch (0 when the database could not be written). */
  opened(conn: object, info: SessionOpen): Promise<number> {
    const state = new SessionState(info.instanceId, info.clientId, {
      instanceId: info.instanceId,
      clientId: info.clientId,
      nodeId: this.opts.nodeId,
      remoteAddress: info.remoteAddress,
      connectedSince: new Date(info.connectedAt ?? Date.now()),
      keepSubscriptions: !info.clean,
    });
    this.live.set(conn, state);
    this.enqueueConnect(state);
    return state.epochPromise();
  }

  subscribed(conn: object, subs: ReadonlyArray<{ topic: string; qos: number }>): void {
    const state = this.live.get(conn);
    if (state === undefined) return;
    state.subs ??= new Map();
    for (const s of subs) state.subs.set(s.topic, s.qos);
    this.dirty.add(state);
  }

  unsubscribed(conn: object, topics: readonly string[]): void {
    const state = this.live.get(conn);
    if (state === undefined || state.subs === null) return;
    for (const t of topics) state.subs.delete(t);
    this.dirty.add(state);
  }

  /** Records a disconnect; resolves with the epoch of that connection's connect. */
  closed(conn: object): Promise<number> {
    const state = this.live.get(conn);
    if (state === undefined) return Promise.resolve(0);
    this.live.delete(conn);
    state.online = false;
    state.disconnectedAt = new Date();
    this.dirty.add(state);
    return state.epochPromise();
  }

  /** After the database was unreachable (another node may have marked us offline): rewrite every live row. */
  resyncAll(): void {
    for (const state of this.live.values()) this.dirty.add(state);
  }

  /** Writes every pending change now; one flush at a time. */
  flush(): Promise<void> {
    if (this.flushing !== null) return this.flushing;
    this.flushing = this.doFlush().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Resolves once every connect recorded so far has its epoch (shutdown: presence events then go out). */
  async settle(): Promise<void> {
    while (this.connectQueue.length > 0 || this.connectInFlight !== null) {
      this.clearConnectTimer();
      await (this.connectInFlight ?? this.runConnects());
    }
    this.clearConnectTimer();
  }

  /** Graceful shutdown: pending writes, then every session of this node offline. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.clearConnectTimer();
    // Connections still open at this point are going away with the process.
    const at = new Date();
    for (const state of this.live.values()) {
      state.online = false;
      state.disconnectedAt = at;
    }
    this.live.clear();
    await this.settle();
    await this.flush();
    try {
      await this.opts.repo.markNodeOffline(this.opts.nodeId);
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'could not mark this node\'s sessions offline (the stale sweep of another node will)');
    }
  }

  private enqueueConnect(state: SessionState): void {
    if (state.connect === null) return;
    state.connectPending = true;
    // A retry waits for the epoch again (a disconnect meanwhile reports the retried one).
    state.epochReady ??= new Promise((resolve) => (state.resolveEpoch = resolve));
    this.connectQueue.push(state);
    if (this.connectInFlight === null) this.scheduleConnects();
  }

  /** The next upsert: at once for a full batch, else after the linger (longer in a storm). */
  private scheduleConnects(): void {
    if (this.stopped || this.connectQueue.length === 0) return;
    if (this.connectQueue.length >= this.maxBatch) {
      this.clearConnectTimer();
      void this.runConnects();
      return;
    }
    this.connectTimer ??= setTimeout(() => {
      this.connectTimer = null;
      void this.runConnects();
    }, this.storm ? this.stormLinger : this.linger);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private runConnects(): Promise<void> {
    if (this.connectInFlight !== null) return this.connectInFlight;
    if (this.connectQueue.length === 0) return Promise.resolve();
    // A client twice in one statement would make ON CONFLICT touch a row twice: later ones wait a round.
    const batch: SessionState[] = [];
    const rest: SessionState[] = [];
    const keys = new Set<string>();
    for (const state of this.connectQueue) {
      if (batch.length < this.maxBatch && !keys.has(state.key)) {
        keys.add(state.key);
        batch.push(state);
      } else {
        rest.push(state);
      }
    }
    this.connectQueue = rest;
    const leftOver = rest.length;
    this.connectInFlight = this.writeConnects(batch).finally(() => {
      this.connectInFlight = null;
      // A client twice in the batch left its second connect queued: that alone is no storm.
      this.storm = batch.length > 1 || this.connectQueue.length > leftOver;
      this.scheduleConnects();
    });
    return this.connectInFlight;
  }

  private async writeConnects(batch: SessionState[]): Promise<void> {
    let epochs = new Map<string, number>();
    let failed = false;
    const refused = new Set<SessionState>();
    try {
      const rows = await this.connectIsolating(batch, refused);
      epochs = new Map(rows.map((r) => [`${r.instanceId}/${r.clientId}`, r.epoch]));
      this.recovered();
    } catch (err) {
      failed = true;
      this.failing(err);
    }
    for (const state of batch) {
      state.connectPending = false;
      // Never retried: the same row would be refused again (and stall the retries of others).
      if (refused.has(state)) state.connect = null;
      const epoch = epochs.get(state.key) ?? 0;
      if (epoch > 0) {
        state.epoch = epoch;
        state.connect = null;
        // Changes made while the upsert ran (subscriptions, a quick disconnect) go out with the next flush.
        if (state.subs !== null || !state.online) this.dirty.add(state);
      }
      // A failed write is retried by the next flush while the client stays connected.
      if (failed && state.online) this.dirty.add(state);
      if (state.resolveEpoch !== null) {
        state.resolveEpoch(state.epoch);
        state.resolveEpoch = null;
      }
      state.epochReady = null;
    }
  }

  /** connectMany, halving a batch the database refused for its data until the bad rows are alone. */
  private async connectIsolating(batch: SessionState[], refused: Set<SessionState>): Promise<ConnectedEpoch[]> {
    try {
      return await this.opts.repo.connectMany(batch.map((s) => s.connect!));
    } catch (err) {
      if (!isRowDataError(err)) throw err;
      if (batch.length === 1) {
        refused.add(batch[0]!);
        this.rowRefused(batch[0]!, err);
        return [];
      }
      const half = batch.length >> 1;
      const first = await this.connectIsolating(batch.slice(0, half), refused);
      return first.concat(await this.connectIsolating(batch.slice(half), refused));
    }
  }

  /** applyUpdates with the same isolation; refused updates are dropped. */
  private async updateIsolating(updates: SessionUpdate[], states: SessionState[]): Promise<void> {
    try {
      await this.opts.repo.applyUpdates(updates);
    } catch (err) {
      if (!isRowDataError(err)) throw err;
      if (updates.length === 1) return this.rowRefused(states[0]!, err);
      const half = updates.length >> 1;
      await this.updateIsolating(updates.slice(0, half), states.slice(0, half));
      await this.updateIsolating(updates.slice(half), states.slice(half));
    }
  }

  private rowRefused(state: SessionState, err: unknown): void {
    this.opts.logger.warn(
      { instanceId: state.instanceId, clientId: state.clientId.slice(0, 128), clientIdLength: state.clientId.length, err: String(err) },
      'client_sessions: the database refused this row; skipped',
    );
  }

  private async doFlush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const updates: SessionUpdate[] = [];
    const taken: SessionState[] = [];
    for (const state of this.dirty) {
      if (state.connectPending) continue;
      this.dirty.delete(state);
      if (state.epoch === 0) {
        // The connect upsert failed: retry it for a live connection, forget a closed one.
        if (state.online && !this.stopped) this.enqueueConnect(state);
        continue;
      }
      taken.push(state);
      updates.push({
        instanceId: state.instanceId,
        clientId: state.clientId,
        epoch: state.epoch,
        online: state.online,
        subscriptions: state.subs === null ? null : [...state.subs].map(([topic, qos]) => ({ topic, qos })),
        disconnectedAt: state.disconnectedAt,
      });
    }
    if (updates.length === 0) return;
    try {
      await this.updateIsolating(updates, taken);
      this.recovered();
    } catch (err) {
      this.failing(err);
      // Keep the latest state for the next attempt (a newer change may have re-added it already).
      for (const state of taken) this.dirty.add(state);
    }
  }

  private failing(err: unknown): void {
    if (!this.dbFailing) {
      this.dbFailing = true;
      this.opts.logger.warn({ err: String(err) }, 'client_sessions: database write failed; retrying every flush');
    }
  }

  private recovered(): void {
    if (this.dbFailing) {
      this.dbFailing = false;
      this.opts.logger.info('client_sessions: database writes recovered');
      this.resyncAll();
    }
  }
}
