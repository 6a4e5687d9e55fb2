/** One dependency a process needs to do its work (database, Kafka; later Redis). */
export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or outlasts the timeout) when it does not. */
  check(): Promise<void>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  ms: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  checks: Record<string, DependencyStatus>;
}

/** How long one check may take before it counts as down: a probe must answer well within its own timeout. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

/** Runs every check at once; ready only when all are up. */
export async function checkReadiness(checks: readonly DependencyCheck[], timeoutMs = READINESS_CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((dependency) => runCheck(dependency, timeoutMs)));
  const report: ReadinessReport = { status: 'ready', checks: {} };
  checks.forEach((dependency, index) => {
    report.checks[dependency.name] = results[index];
    if (results[index].status === 'down') report.status = 'not-ready';
  });
  return report;
}

async function runCheck(dependency: DependencyCheck, timeoutMs: number): Promise<DependencyStatus> {
  const started = Date.now();
  try {
    await withTimeout(dependency.check(), timeoutMs);
    return { status: 'up', ms: Date.now() - started };
  } catch (error) {
    return { status: 'down', ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Settles as `work` does, or rejects with "no answer within N ms" first. `work` itself goes on:
 * for calls that may never settle (a lost reply), not a way to cancel them.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
