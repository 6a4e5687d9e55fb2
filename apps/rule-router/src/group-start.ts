import type { PartitionOffset, TopicAdmin } from '#messaging';

/** kafkajs reports a partition without a committed offset as -1. */
const NO_OFFSET = '-1';

export type PartitionStart = PartitionOffset;

/**
 * Where `groupId` must start on those of `partitions` (of `topic`) where it has no committed
 * offset: the first record produced at or after `startAt` (ms since epoch), or the partition's
 * end when there is none yet. Partitions with a committed offset are left out.
 */
export async function uncommittedStarts(admin: Pick<TopicAdmin, 'fetchOffsets' | 'fetchTopicOffsetsByTimestamp'>, groupId: string, topic: string, partitions: readonly number[], startAt: number): Promise<PartitionStart[]> {
  if (partitions.length === 0) return [];
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const known = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
  // A partition added after the group last committed is not listed at all.
  const unset = new Set(partitions.filter((p) => (known.get(p) ?? NO_OFFSET) === NO_OFFSET));
  if (unset.size === 0) return [];
  const atTime = await admin.fetchTopicOffsetsByTimestamp(topic, startAt);
  return atTime.filter((p) => unset.has(p.partition)).map((p) => ({ partition: p.partition, offset: p.offset }));
}
