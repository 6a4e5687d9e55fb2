/** One partition's position to commit: the offset of the next record to read. */
export interface PartitionPosition {
  partition: number;
  offset: string;
}

/** Commits positions of the group's topic (kafkajs's consumer.commitOffsets, bound to the topic). */
export type CommitPositions = (positions: PartitionPosition[]) => Promise<void>;

/**
 * The handled positions of one consumer group member, committed on a timer. kafkajs's own
 * auto-commit sends an OffsetCommit after every partition batch, whatever its interval says,
 * and that partition's next fetch waits for it: with many partitions, one commit per batch per
 * partition. Here a record counts once its handler returned (`handled`), and what was handled
 * is committed every `intervalMs` in one request, beside the fetches instead of between them,
 * and at once when `flush()` is called (rebalance, stop). A commit that fails is tried again
 * at the next tick; a record handled but not yet committed when the member dies is read again
 * by the next owner (at least once), never skipped.
 */
export class OffsetCommitter {
  /** Partition -> offset of the last record handled, not yet committed. */
  private handledOffsets = new Map<number, string>();
  /** Partition -> position set to commit as it is (start positions), not yet committed. */
  private positions = new Map<number, string>();
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commit: CommitPositions,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The record at `offset` of `partition` was handled. Hot path: one map write. */
  handled(partition: number, offset: string): void {
    this.handledOffsets.set(partition, offset);
  }

  /** Commits `offset` as the position of `partition` (a start position pinned at the join). */
  position(partition: number, offset: string): void {
    this.positions.set(partition, offset);
    this.handledOffsets.delete(partition);
  }

  /** Forgets partitions this member no longer holds (after a rebalance): their new owner commits them. */
  retain(partitions: readonly number[]): void {
    const kept = new Set(partitions);
    for (const partition of this.handledOffsets.keys()) if (!kept.has(partition)) this.handledOffsets.delete(partition);
    for (const partition of this.positions.keys()) if (!kept.has(partition)) this.positions.delete(partition);
  }

  /** Commits what is pending now (after a commit already under way); resolves when it is done, also when it failed. */
  async flush(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
    if (this.handledOffsets.size === 0 && this.positions.size === 0) return;
    const handled = this.handledOffsets;
    const positions = this.positions;
    this.handledOffsets = new Map();
    this.positions = new Map();
    const batch: PartitionPosition[] = [];
    for (const [partition, offset] of positions) if (!handled.has(partition)) batch.push({ partition, offset });
    for (const [partition, offset] of handled) batch.push({ partition, offset: (BigInt(offset) + 1n).toString() });
    this.inFlight = this.commit(batch).then(
      () => undefined,
      (err: unknown) => {
        // Put back what nothing newer replaced meanwhile: the next tick tries again.
        for (const [partition, offset] of handled) if (!this.handledOffsets.has(partition) && !this.positions.has(partition)) this.handledOffsets.set(partition, offset);
        for (const [partition, offset] of positions) if (!handled.has(partition) && !this.handledOffsets.has(partition) && !this.positions.has(partition)) this.positions.set(partition, offset);
        this.onError(err);
      },
    );
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }
}
