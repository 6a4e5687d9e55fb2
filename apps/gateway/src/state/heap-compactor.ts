import { Session } from 'node:inspector';
import type { Logger } from '#config';

export interface HeapCompactorOptions {
  /**
   * Connections accepted since the last compaction that make the next quiet tick compact (and
   * at least half of the connections open now, so that a big node with steady churn is left to
   * V8: its pause grows with the heap); 0 turns it off.
   */
  afterConnects: number;
  /** A tick with at most this many new connections is quiet. */
  quietConnectsPerTick?: number;
  /**
   * Quiet ticks in a row that end a storm (default 3): a reconnect storm has quiet seconds of
   * its own while clients wait out TCP's SYN retry (1 s, 3 s), and a pause then costs
   * CONNECTs their connect timeout.
   */
  quietTicks?: number;
  tickMs?: number;
  /** Compactions are at least this far apart, whatever the churn. */
  minIntervalMs?: number;
}

/** What the compactor watches and does; named so the call sites read. */
export interface HeapCompactorDeps {
  /** Connections handed to the broker since start. */
  acceptedConnections: () => number;
  /** Connections open now. */
  openConnections: () => number;
  /** One memory-reducing full collection (memoryReducingCollection in production). */
  collect: () => Promise<void>;
  logger: Logger;
  clock?: () => number;
}

/**
 * After a connect storm the heap holds tens of megabytes of dead connect-path objects that
 * survived two scavenges (they live across the CONNECT's async steps) and were promoted; V8
 * collects the old generation only when it grows further, so an idle gateway keeps them as
 * RSS. So once enough connections came and a tick goes by quiet, one memory-reducing
 * collection runs; its pause grows with the heap and is meant to land when the gateway has
 * nothing else to do. On by default: without it an idle node holds that garbage as RSS
 * (issue 14's per-connection target); it was opt-in while the connect timeout was 10 s, which
 * CONNECTs queued behind the pause in a reconnect storm overran (the timeout is 30 s now).
 */
export class HeapCompactor {
  private readonly quiet: number;
  private readonly quietTicks: number;
  private quietInARow = 0;
  private readonly tickMs: number;
  private readonly minIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastCount = 0;
  private countAtCompaction = 0;
  private compactedAt = -Infinity;
  private running = false;

  private readonly acceptedConnections: () => number;
  private readonly openConnections: () => number;
  private readonly collect: () => Promise<void>;
  private readonly logger: Logger;
  private readonly clock: () => number;

  constructor(
    private readonly options: HeapCompactorOptions,
    deps: HeapCompactorDeps,
  ) {
    this.acceptedConnections = deps.acceptedConnections;
    this.openConnections = deps.openConnections;
    this.collect = deps.collect;
    this.logger = deps.logger;
    this.clock = deps.clock ?? Date.now;
    this.quiet = options.quietConnectsPerTick ?? 20;
    this.quietTicks = options.quietTicks ?? 3;
    this.tickMs = options.tickMs ?? 1_000;
    this.minIntervalMs = options.minIntervalMs ?? 30_000;
  }

  start(): void {
    if (this.options.afterConnects <= 0 || this.timer !== undefined) return;
    this.lastCount = this.countAtCompaction = this.acceptedConnections();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look: starts a compaction and returns true when a storm has ended. */
  tick(): boolean {
    const count = this.acceptedConnections();
    const inTick = count - this.lastCount;
    this.lastCount = count;
    const now = this.clock();
    this.quietInARow = inTick <= this.quiet ? this.quietInARow + 1 : 0;
    const needed = Math.max(this.options.afterConnects, this.openConnections() / 2);
    if (this.running || count - this.countAtCompaction < needed) return false;
    if (this.quietInARow < this.quietTicks || now - this.compactedAt < this.minIntervalMs) return false;
    this.countAtCompaction = count;
    this.compactedAt = now;
    this.running = true;
    const before = process.memoryUsage();
    const started = performance.now();
    this.collect().then(
      () => {
        this.running = false;
        const after = process.memoryUsage();
        this.logger.info(
          { connects: count, pauseMs: Math.round(performance.now() - started), heapUsedMb: mb(after.heapUsed), heapFreedMb: mb(before.heapUsed - after.heapUsed) },
          'heap compacted after a connect storm',
        );
      },
      (err: unknown) => {
        this.running = false;
        this.logger.warn({ err }, 'heap compaction failed');
      },
    );
    return true;
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}

/**
 * V8's memory-reducing full collection (what the inspector's HeapProfiler.collectGarbage runs:
 * it compacts and gives freed pages back to the OS, which a plain `gc()` does not), through an
 * in-process inspector session.
 */
export function memoryReducingCollection(): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = new Session();
    session.connect();
    session.post('HeapProfiler.collectGarbage', (err) => {
      // Disconnecting inside the inspector's own callback hangs the process (Node 20).
      setImmediate(() => {
        session.disconnect();
        if (err) reject(err);
        else resolve();
      });
    });
  });
}
