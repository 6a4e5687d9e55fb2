import { OffsetCommitter, type PartitionPosition } from './offset-committer.js';

function committer(fail: () => boolean = () => false) {
  const commits: PartitionPosition[][] = [];
  const errors: unknown[] = [];
  let release: () => void = () => undefined;
  let hold = false;
  const c = new OffsetCommitter(
    async (positions) => {
      commits.push(positions);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (fail()) throw new Error('NOT_COORDINATOR');
    },
    60_000,
    (err) => errors.push(err),
  );
  return { c, commits, errors, holdNext: () => (hold = true), release: () => ((hold = false), release()) };
}

describe('OffsetCommitter', () => {
  it('commits the offset after the last handled record of each partition, in one request', async () => {
    const { c, commits } = committer();
    c.handled(0, '41');
    c.handled(0, '42');
    c.handled(3, '9007199254740993');
    await c.flush();
    expect(commits).toEqual([[{ partition: 0, offset: '43' }, { partition: 3, offset: '9007199254740994' }]]);
  });

  it('commits nothing when nothing is pending', async () => {
    const { c, commits } = committer();
    await c.flush();
    c.handled(1, '5');
    await c.flush();
    await c.flush();
    expect(commits).toHaveLength(1);
  });

  it('commits a start position as it is, unless a record of that partition was handled since', async () => {
    const { c, commits } = committer();
    c.position(0, '7');
    c.position(1, '3');
    c.handled(1, '3');
    await c.flush();
    expect(commits).toEqual([[{ partition: 0, offset: '7' }, { partition: 1, offset: '4' }]]);
  });

  it('tries a failed commit again at the next flush, without going back behind newer records', async () => {
    let failing = true;
    const { c, commits, errors } = committer(() => failing);
    c.handled(0, '10');
    c.handled(1, '20');
    await c.flush();
    expect(errors).toHaveLength(1);
    failing = false;
    c.handled(0, '11');
    await c.flush();
    expect(commits[1]).toEqual(expect.arrayContaining([{ partition: 0, offset: '12' }, { partition: 1, offset: '21' }]));
    expect(commits[1]).toHaveLength(2);
  });

  it('forgets partitions this member no longer holds', async () => {
    const { c, commits } = committer();
    c.handled(0, '1');
    c.handled(1, '1');
    c.position(2, '5');
    c.retain([1]);
    await c.flush();
    expect(commits).toEqual([[{ partition: 1, offset: '2' }]]);
  });

  it('a flush during a commit waits for it, then commits what came meanwhile', async () => {
    const { c, commits, holdNext, release } = committer();
    c.handled(0, '1');
    holdNext();
    const first = c.flush();
    c.handled(0, '2');
    const second = c.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(commits).toEqual([[{ partition: 0, offset: '2' }], [{ partition: 0, offset: '3' }]]);
  });
});
