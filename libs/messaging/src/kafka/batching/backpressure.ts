/**
 * What a BatchingProducer holds, and when it is too much. Guaranteed records are never dropped:
 * once `maxQueuedRecords` of them wait (queued or in flight) the producer is saturated, and it
 * resumes under half of that. Droppable records beyond `maxQueuedDroppable` queued are refused.
 */
export class Backpressure {
  /** Droppable records queued (not yet in a batch). */
  queuedDroppable = 0;
  /** Guaranteed records queued or in flight: what saturation counts. */
  pendingGuaranteed = 0;
  saturated = false;

  constructor(
    private readonly limits: { maxQueuedRecords: number; maxQueuedDroppable: number },
    private readonly onChange: (saturated: boolean) => void,
  ) {}

  /** False: the droppable queue is full, refuse the record. */
  admitDroppable(): boolean {
    if (this.queuedDroppable >= this.limits.maxQueuedDroppable) return false;
    this.queuedDroppable++;
    return true;
  }

  addGuaranteed(): void {
    if (++this.pendingGuaranteed >= this.limits.maxQueuedRecords && !this.saturated) {
      this.saturated = true;
      this.onChange(true);
    }
  }

  /** Guaranteed records acknowledged or refused for good. */
  releaseGuaranteed(count: number): void {
    this.pendingGuaranteed -= count;
    if (this.saturated && this.pendingGuaranteed <= this.limits.maxQueuedRecords / 2) {
      this.saturated = false;
      this.onChange(false);
    }
  }
}
