import { EventEmitter } from 'node:events';
import type { Logger } from '#config';
import { parseStoredRule, RuleSet, type Rule, type RuleValidationOptions } from '#domain';
import type { RuleSourceRepository } from '#domain/persistence';

export interface RuleRegistryEvents {
  changed: [rules: RuleSet, previous: RuleSet];
}

/**
 * The router's current rules. Reloads from PostgreSQL on demand (control `rules-changed`) and by
 * polling, so a lost control message delays a change by one poll at most. Concurrent reload
 * requests are coalesced: at most one query runs, plus one more if asked for meanwhile.
 */
export class RuleRegistry extends EventEmitter<RuleRegistryEvents> {
  private rules = RuleSet.empty;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private fingerprint = '';
  /** Successful reloads, for metrics and tests. */
  reloads = 0;

  constructor(
    private readonly source: RuleSourceRepository,
    private readonly logger: Logger,
    private readonly validation: RuleValidationOptions = {},
  ) {
    super();
  }

  current(): RuleSet {
    return this.rules;
  }

  /** Loads once (throws when the database cannot be read), then polls every `pollMs`. */
  async start(pollMs: number): Promise<void> {
    await this.load();
    this.timer = setInterval(() => {
      this.reload().catch(() => undefined);
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reloads soon; resolves when a load that started after this call has finished. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          try {
            await this.load();
          } catch (err) {
            this.logger.warn({ err }, 'rules reload failed; keeping the previous rules');
          }
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async load(): Promise<void> {
    const rows = await this.source.loadEnabled();
    const rules: Rule[] = [];
    for (const row of rows) {
      const parsed = parseStoredRule(row, this.validation);
      if (parsed.ok) rules.push(parsed.value);
      else this.logger.warn({ ruleId: row.id, instanceId: row.instanceId, errors: parsed.errors }, 'stored rule is invalid; not routed');
    }
    this.reloads++;
    // Polling mostly finds nothing new: only rebuild and notify on a real change.
    const fingerprint = JSON.stringify(rules);
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    const previous = this.rules;
    this.rules = new RuleSet(rules);
    this.logger.info({ rules: rules.length }, 'rules loaded');
    this.emit('changed', this.rules, previous);
  }
}
