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
  const known = await committedOffsets(admin, groupId, topic);
  const unset = new Set(partitions.filter((p) => (known.get(p) ?? NO_OFFSET) === NO_OFFSET));
  if (unset.size === 0) return [];
  const atTime = await admin.fetchTopicOffsetsByTimestamp(topic, startAt);
  return atTime.filter((p) => unset.has(p.partition)).map((p) => ({ partition: p.partition, offset: p.offset }));
}

/**
 * Where a paused `groupId` resumes on `partitions`: the first record produced at or after `since`,
 * but never behind what the group committed (a resume does not route a record twice). Only the
 * partitions that must move are listed.
 */
export async function resumeStarts(admin: Pick<TopicAdmin, 'fetchOffsets' | 'fetchTopicOffsetsByTimestamp'>, groupId: string, topic: string, partitions: readonly number[], since: number): Promise<PartitionStart[]> {
  if (partitions.length === 0) return [];
  const known = await committedOffsets(admin, groupId, topic);
  const wanted = new Set(partitions);
  const atTime = await admin.fetchTopicOffsetsByTimestamp(topic, since);
  return atTime
    .filter((p) => wanted.has(p.partition))
    .filter((p) => {
      const at = known.get(p.partition) ?? NO_OFFSET;
      return at === NO_OFFSET || BigInt(p.offset) > BigInt(at);
    })
    .map((p) => ({ partition: p.partition, offset: p.offset }));
}

/** The group's committed offset per partition of `topic`; a partition added after the group last committed is not listed at all. */
async function committedOffsets(admin: Pick<TopicAdmin, 'fetchOffsets'>, groupId: string, topic: string): Promise<Map<number, string>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
}
