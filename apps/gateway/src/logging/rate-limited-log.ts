import type { Logger } from '#config';

interface Slot {
  at: number;
  suppressed: number;
}

/**
 * Writes at most one line per key per interval, so a client repeating a mistake (or an
 * attacker) cannot flood the log; the next line written for that key says how many were
 * left out. Keys come from small fixed sets (reason and limit), never from client data.
 */
export class RateLimitedLog {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 1_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.admit(key, fields)) this.logger.warn(fields, message);
  }

  error(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.admit(key, fields)) this.logger.error(fields, message);
  }

  /** True when a line for `key` may be written now; adds `suppressed` to `fields` when lines were left out. */
  private admit(key: string, fields: Record<string, unknown>): boolean {
    const now = this.clock();
    const slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.maxKeys) this.slots.clear();
      this.slots.set(key, { at: now, suppressed: 0 });
      return true;
    }
    if (now - slot.at < this.intervalMs) {
      slot.suppressed++;
      return false;
    }
    if (slot.suppressed > 0) fields.suppressed = slot.suppressed;
    slot.at = now;
    slot.suppressed = 0;
    return true;
  }
}
