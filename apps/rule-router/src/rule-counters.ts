import type { Logger } from '#config';
import type { RuleCounterRepository, RuleCounterTotals } from '#domain/persistence';

interface Totals {
  matched: number;
  routed: number;
  failed: number;
}

/**
 * Per-rule totals of this router, counted in memory on the hot path and written to
 * rule_counters every few seconds (this router's row = its totals, so a flush is idempotent).
 */
export class RuleCounters {
  private readonly totals = new Map<string, Totals>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly repository: RuleCounterRepository,
    readonly routerId: string,
    private readonly logger: Logger,
  ) {}

  /** Continues from this router ID's stored totals (a restart under a fixed FLEETMQ_NODE_ID). */
  async start(flushMs: number): Promise<void> {
    for (const row of await this.repository.loadTotals(this.routerId)) {
      this.totals.set(row.ruleId, { matched: row.matched, routed: row.routed, failed: row.failed });
    }
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  matched(ruleId: string, n = 1): void {
    this.entry(ruleId).matched += n;
  }
  routed(ruleId: string, n = 1): void {
    this.entry(ruleId).routed += n;
  }
  failed(ruleId: string, n = 1): void {
    this.entry(ruleId).failed += n;
  }

  get(ruleId: string): Totals {
    return { ...(this.totals.get(ruleId) ?? { matched: 0, routed: 0, failed: 0 }) };
  }

  /** Writes the changed rules' totals; a failure keeps them dirty for the next flush. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      const ids = [...this.dirty];
      if (ids.length === 0) return;
      this.dirty.clear();
      const rows: RuleCounterTotals[] = ids.map((ruleId) => ({ ruleId, ...this.get(ruleId) }));
      try {
        await this.repository.saveTotals(this.routerId, rows);
      } catch (err) {
        for (const id of ids) this.dirty.add(id);
        this.logger.warn({ err }, 'rule counters not written; retrying at the next flush');
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private entry(ruleId: string): Totals {
    this.dirty.add(ruleId);
    let totals = this.totals.get(ruleId);
    if (totals === undefined) {
      totals = { matched: 0, routed: 0, failed: 0 };
      this.totals.set(ruleId, totals);
    }
    return totals;
  }
}
