import type { Logger } from '#config';

/** Commits `offset` (the next record to read) of each partition; kafkajs's consumer.commitOffsets. */
export type CommitOffsets = (offsets: Array<{ topic: string; partition: number; offset: string }>) => Promise<void>;

export interface OffsetCommitterOptions {
  topic: string;
  intervalMs: number;
  commit: CommitOffsets;
  logger: Logger;
}

/**
 * Commits the offsets of handled records on a timer, outside the fetch loop. kafkajs with
 * autoCommit commits after every batch whatever autoCommitInterval says (runner.handleBatch),
 * and the next fetch waits for that commit: a round trip per fetch, one per partition batch,
 * in front of every record. Here the fetch loop only notes the handled offset; a commit that
 * fails keeps its offsets for the next tick (a restart then reads them again: at least once).
 */
export class OffsetCommitter {
  /** Partition -> offset of the last handled record (kafkajs's string). */
  private readonly handledOffsets = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly opts: OffsetCommitterOptions) {}

  /** Records of one partition are handled in order: the last one handled is the one to commit. */
  handled(partition: number, offset: string): void {
    this.handledOffsets.set(partition, offset);
  }

  /** After a rebalance: offsets of partitions this member no longer holds are not committed. */
  keepOnly(partitions: readonly number[]): void {
    for (const partition of this.handledOffsets.keys()) {
      if (!partitions.includes(partition)) this.handledOffsets.delete(partition);
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and commits what was handled so far. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Commits the offsets handled since the last commit; one commit at a time. */
  async flush(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
    if (this.handledOffsets.size === 0) return;
    const taken = new Map(this.handledOffsets);
    this.handledOffsets.clear();
    this.inFlight = this.commit(taken);
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async commit(taken: Map<number, string>): Promise<void> {
    const { topic } = this.opts;
    const offsets = [...taken].map(([partition, offset]) => ({ topic, partition, offset: (BigInt(offset) + 1n).toString() }));
    try {
      await this.opts.commit(offsets);
    } catch (err) {
      // Kept for the next tick unless a later record of the partition was handled meanwhile.
      for (const [partition, offset] of taken) {
        if (!this.handledOffsets.has(partition)) this.handledOffsets.set(partition, offset);
      }
      if (this.failures++ % 60 === 0) this.opts.logger.warn({ topic, err, failures: this.failures }, 'offset commit failed; retried at the next interval');
    }
  }
}
