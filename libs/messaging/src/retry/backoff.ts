/** Exponential backoff as a policy object, shared by `createRetry` and the batching producers. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Growth per attempt (2 = doubling). */
  factor: number;
  /** Randomisation, 0..1: a delay d becomes d * (1 ± jitter), so that many clients do not retry in step. */
  jitter: number;
}

export interface BackoffPolicy {
  readonly options: Readonly<BackoffOptions>;
  /** Delay before retry number `attempt` (0 = first retry). */
  delay(attempt: number): number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

export function createBackoff(options: Partial<BackoffOptions> = {}, random: () => number = Math.random): BackoffPolicy {
  const o: BackoffOptions = { ...DEFAULT_BACKOFF };
  for (const [k, v] of Object.entries(options) as [keyof BackoffOptions, number | undefined][]) if (v !== undefined) o[k] = v;
  if (!(o.initialMs >= 0 && o.maxMs >= o.initialMs && o.factor >= 1 && o.jitter >= 0 && o.jitter <= 1)) {
    throw new RangeError(`invalid backoff ${JSON.stringify(o)}`);
  }
  return {
    options: o,
    delay(attempt: number): number {
      const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.max(0, attempt)));
      const jittered = base * (1 + o.jitter * (2 * random() - 1));
      return Math.round(Math.min(o.maxMs, Math.max(0, jittered)));
    },
  };
}
