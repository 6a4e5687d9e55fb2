import type { Logger } from '#config';

export interface ShutdownStep {
  name: string;
  stop(): Promise<unknown>;
  /** On a forced exit: what to do at once instead (e.g. ask a child server to stop), and return. */
  stopNow?(): void;
  /** On a forced exit without stopNow: what is left running, and how to stop it, printed for the user. */
  leftRunning?: string;
}

const GRACE_MS = 20_000;
/** One Ctrl-C can arrive twice (the terminal's, and npm or `timeout` passing it on): not a second press. */
const SAME_PRESS_MS = 500;

/**
 * The all-in-one process's stops, run in reverse order of registration on SIGINT/SIGTERM or
 * after a failed start. A second Ctrl-C (or a stop taking longer than 20 s) forces the exit:
 * children are told to stop, and whatever is still running is printed with how to stop it.
 */
export class Shutdown {
  private readonly steps: ShutdownStep[] = [];
  private stopping = false;
  private firstSignalAt = 0;
  private stopSignal: NodeJS.Signals | undefined;

  /** The signal that began the shutdown (undefined after a failed start): SIGTERM drains the gateway, SIGINT does not. */
  get signal(): NodeJS.Signals | undefined {
    return this.stopSignal;
  }

  /** True once a signal or a failed start began the shutdown: a start interrupted by it is no failure to report. */
  get started(): boolean {
    return this.stopping;
  }

  constructor(
    private readonly logger: Logger,
    private readonly say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  add(step: ShutdownStep): void {
    this.steps.push(step);
  }

  installSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        if (Date.now() - this.firstSignalAt > SAME_PRESS_MS) this.force('second Ctrl-C');
        return;
      }
      this.firstSignalAt = Date.now();
      this.stopSignal = signal;
      this.say(`FleetMQ: stopping (${signal}); press Ctrl-C again to force`);
      void this.run(signal === 'SIGINT' ? 130 : 0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /** Stops everything registered (newest first) and exits with `code` (1 if a step failed). */
  async run(code: number): Promise<never> {
    if (this.stopping) return new Promise<never>(() => undefined); // the first run exits
    this.stopping = true;
    const timer = setTimeout(() => this.force(`still stopping after ${GRACE_MS / 1000}s`), GRACE_MS);
    timer.unref();
    let failed = false;
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.stop();
      } catch (err) {
        failed = true;
        this.logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    process.exit(failed && code === 0 ? 1 : code);
  }

  private force(reason: string): never {
    for (const step of [...this.steps].reverse()) {
      if (step.stopNow) step.stopNow();
      else if (step.leftRunning) this.say(`FleetMQ: still running: ${step.leftRunning}`);
    }
    this.say(`FleetMQ: forced exit (${reason})`);
    process.exit(130);
  }
}
