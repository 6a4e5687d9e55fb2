/** Timer tick of a drain: closing a few clients per tick keeps the timer count at one, whatever the fleet size. */
export const DRAIN_TICK_MS = 20;

/**
 * How many of `total` connections should be closed `elapsedMs` into a drain of `windowMs`:
 * spread evenly, the first one at once, all of them by the end of the window.
 */
export function drainDueCount(total: number, elapsedMs: number, windowMs: number): number {
  if (windowMs <= 0 || elapsedMs >= windowMs) return total;
  return Math.min(total, Math.floor((elapsedMs / windowMs) * total) + 1);
}
