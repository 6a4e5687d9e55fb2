import type { TopicAdmin } from '#messaging';
import { resumeStarts, uncommittedStarts } from './group-start.js';

/** The two admin calls uncommittedStarts makes, answering from tables. */
function fakeAdmin(committed: Array<{ partition: number; offset: string }>, byTime: Array<{ partition: number; offset: string }>) {
  const calls: string[] = [];
  const admin = {
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) => {
      calls.push(`fetchOffsets ${groupId} ${topics.join(',')}`);
      return [{ topic: topics[0], partitions: committed.map((p) => ({ ...p, metadata: null })) }];
    },
    fetchTopicOffsetsByTimestamp: async (topic: string, timestamp: number) => {
      calls.push(`byTimestamp ${topic} ${timestamp}`);
      return byTime;
    },
  };
  return { admin: admin as unknown as TopicAdmin, calls };
}

describe('uncommittedStarts', () => {
  it('starts the partitions without a committed offset at the first record at or after the time', async () => {
    const { admin, calls } = fakeAdmin(
      [{ partition: 0, offset: '-1' }, { partition: 1, offset: '17' }],
      [{ partition: 0, offset: '4' }, { partition: 1, offset: '9' }, { partition: 2, offset: '0' }],
    );
    // Partition 2 is not listed by fetchOffsets at all (added after the group last committed).
    expect(await uncommittedStarts(admin, 'g', 't', [0, 1, 2], 1_700_000_000_000)).toEqual([
      { partition: 0, offset: '4' },
      { partition: 2, offset: '0' },
    ]);
    expect(calls).toEqual(['fetchOffsets g t', 'byTimestamp t 1700000000000']);
  });

  it('only looks at the partitions it is given', async () => {
    const { admin } = fakeAdmin([{ partition: 0, offset: '-1' }, { partition: 1, offset: '-1' }], [{ partition: 0, offset: '4' }, { partition: 1, offset: '5' }]);
    expect(await uncommittedStarts(admin, 'g', 't', [1], 0)).toEqual([{ partition: 1, offset: '5' }]);
  });

  it('asks nothing by time when every partition has a committed offset, and nothing at all for no partitions', async () => {
    const committed = fakeAdmin([{ partition: 0, offset: '3' }], []);
    expect(await uncommittedStarts(committed.admin, 'g', 't', [0], 0)).toEqual([]);
    expect(committed.calls).toEqual(['fetchOffsets g t']);
    const none = fakeAdmin([], []);
    expect(await uncommittedStarts(none.admin, 'g', 't', [], 0)).toEqual([]);
    expect(none.calls).toEqual([]);
  });
});

describe('resumeStarts', () => {
  it('moves a partition forward to the first record at or after the time, never back behind its commit', async () => {
    const { admin, calls } = fakeAdmin(
      [{ partition: 0, offset: '10' }, { partition: 1, offset: '40' }, { partition: 2, offset: '-1' }],
      [{ partition: 0, offset: '25' }, { partition: 1, offset: '31' }, { partition: 2, offset: '7' }, { partition: 3, offset: '2' }],
    );
    // 0 moves ahead to 25; 1 stays at its commit 40; 2 never committed; 3 is not this member's.
    expect(await resumeStarts(admin, 'g', 't', [0, 1, 2], 1_700_000_000_000)).toEqual([
      { partition: 0, offset: '25' },
      { partition: 2, offset: '7' },
    ]);
    expect(calls).toEqual(['fetchOffsets g t', 'byTimestamp t 1700000000000']);
  });

  it('compares offsets as numbers, not strings', async () => {
    const { admin } = fakeAdmin([{ partition: 0, offset: '9' }], [{ partition: 0, offset: '10' }]);
    expect(await resumeStarts(admin, 'g', 't', [0], 0)).toEqual([{ partition: 0, offset: '10' }]);
  });

  it('asks nothing for no partitions', async () => {
    const none = fakeAdmin([], []);
    expect(await resumeStarts(none.admin, 'g', 't', [], 0)).toEqual([]);
    expect(none.calls).toEqual([]);
  });
});
