// The one polling wait of the test suite: for conditions no event announces (a counter, a row,
// a consumer group's assignment). Where an event exists, wait on the event instead.

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Pause between probes; default 25 ms. */
  intervalMs?: number;
  /** Named in the timeout error; a function is called only then (e.g. a child process's output). */
  what?: string | (() => string);
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Probes until `probe` returns a truthy value, which is returned; throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

/**
 * The window of a "nothing happens" check: gives an event that must not come (a late write, a
 * message leaking to a bystander) `ms` to arrive before the test asserts its absence. `absence`
 * names what is waited out. Never use it to wait for something that should happen: use waitFor.
 */
export function quietWindow(ms: number, absence: string): Promise<void> {
  void absence;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
