import type { Kafka } from 'kafkajs';

/**
 * Commits the current end offsets of `topic` for a group that has none yet, so the group starts
 * there (admin.resetOffsets commits the logical -1, which a consumer then treats as "no offset").
 * Shared by the benchmarks and the rule router tests.
 */
export async function startGroupAtEnd(kafka: Kafka, groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
  } finally {
    await admin.disconnect();
  }
}
