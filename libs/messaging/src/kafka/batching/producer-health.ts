import type { Logger } from '#config';
import type { Lane } from './lane.js';

/**
 * Whether Kafka takes this producer's records: unavailable from the first failed attempt
 * until every failing lane succeeded again. Logs only these state changes.
 */
export class ProducerHealth {
  private unavailableSince = 0;
  private failingLanes = 0;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly onChange: (available: boolean) => void,
  ) {}

  get unavailable(): boolean {
    return this.unavailableSince !== 0;
  }

  /** An attempt of `lane` failed (or the producer could not connect, without a lane). */
  failed(error: unknown, holding: number, lane?: Lane): void {
    if (lane !== undefined && !lane.failing) {
      lane.failing = true;
      this.failingLanes++;
    }
    if (this.unavailableSince !== 0) return;
    this.unavailableSince = Date.now();
    this.log.warn({ err: error, holding }, `${this.name}: kafka unavailable, holding ${holding} records`);
    this.onChange(false);
  }

  succeeded(lane: Lane, failedAttempts: number): void {
    if (lane.failing) {
      lane.failing = false;
      this.failingLanes--;
    }
    if (this.unavailableSince === 0 || this.failingLanes !== 0) return;
    this.log.info({ downMs: Date.now() - this.unavailableSince, failedAttempts }, `${this.name}: kafka recovered`);
    this.unavailableSince = 0;
    this.onChange(true);
  }
}
