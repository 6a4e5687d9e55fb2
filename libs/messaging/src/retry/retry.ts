import { RetriesExhaustedError } from '../errors.js';
import { createBackoff, type BackoffOptions } from './backoff.js';

export interface RetryOptions extends Partial<BackoffOptions> {
  /** Retries after the first attempt (so `retries + 1` attempts in all). */
  retries: number;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Stops retrying at once with `error` (re-thrown as is). */
export type Bail = (error: unknown) => never;

export type Retriable<T> = (bail: Bail, attempt: number) => Promise<T>;

class BailSignal {
  constructor(readonly error: unknown) {}
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `createRetry(options)(fn)` runs `fn` until it resolves, retrying with backoff. An error whose
 * `retriable` is false, or one passed to `bail`, ends it at once; after the last attempt it
 * rejects with RetriesExhaustedError (cause = last error).
 */
export function createRetry(options: RetryOptions): <T>(fn: Retriable<T>) => Promise<T> {
  const backoff = createBackoff(options, options.random);
  const sleep = options.sleep ?? defaultSleep;
  const bail: Bail = (error) => {
    throw new BailSignal(error);
  };
  return async <T>(fn: Retriable<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(bail, attempt);
      } catch (error) {
        if (error instanceof BailSignal) throw error.error;
        if (isNonRetriable(error)) throw error;
        if (attempt >= options.retries) throw new RetriesExhaustedError(attempt + 1, { cause: error });
        await sleep(backoff.delay(attempt));
      }
    }
  };
}

function isNonRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false;
}
