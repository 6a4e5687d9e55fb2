/**
 * Bounded memory of (rule, msgId) pairs this process already routed and saw acknowledged.
 * Kafka redelivers records after an eager rebalance (kafkajs#922) or a failed commit; a record
 * found here was certainly written, so it is skipped and counted instead of routed again.
 * A new process starts empty: duplicates across a crash are possible and allowed.
 */
export class SeenSet {
  private readonly entries = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(ruleId: string, msgId: string): boolean {
    return this.entries.has(`${ruleId}|${msgId}`);
  }

  add(ruleId: string, msgId: string): void {
    const key = `${ruleId}|${msgId}`;
    if (this.entries.has(key)) return;
    this.entries.add(key);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
