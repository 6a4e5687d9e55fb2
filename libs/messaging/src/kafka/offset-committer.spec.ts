import { createLogger } from '#config';
import { type CommitOffsets, OffsetCommitter } from './offset-committer.js';

describe('OffsetCommitter', () => {
  const logger = createLogger('silent');
  const committer = (commit: CommitOffsets) => new OffsetCommitter({ topic: 't', intervalMs: 60_000, commit, logger });

  /** A commit function that records its calls. */
  function recorder() {
    const calls: Array<Parameters<CommitOffsets>[0]> = [];
    const commit: CommitOffsets = async (offsets) => {
      calls.push(offsets);
    };
    return { calls, commit };
  }

  it('commits nothing when nothing was handled', async () => {
    const r = recorder();
    await committer(r.commit).flush();
    expect(r.calls).toEqual([]);
  });

  it('commits each partition once, at the record after the last one handled', async () => {
    const r = recorder();
    const c = committer(r.commit);
    c.handled(3, '9007199254740993');
    c.handled(0, '1');
    c.handled(0, '2');
    await c.flush();
    await c.flush();
    expect(r.calls).toEqual([[{ topic: 't', partition: 3, offset: '9007199254740994' }, { topic: 't', partition: 0, offset: '3' }]]);
  });

  it('keeps the offsets of a failed commit for the next one, unless a later record was handled meanwhile', async () => {
    const failure = new Error('coordinator not available');
    let fail: ((e: Error) => void) | undefined;
    const calls: Array<Parameters<CommitOffsets>[0]> = [];
    const c = committer((offsets) => {
      calls.push(offsets);
      return calls.length === 1 ? new Promise<void>((_, reject) => (fail = reject)) : Promise.resolve();
    });
    c.handled(0, '5');
    c.handled(1, '7');
    const first = c.flush();
    c.handled(1, '8');
    fail?.(failure);
    await first;
    await c.flush();
    expect(calls[1]).toEqual([{ topic: 't', partition: 1, offset: '9' }, { topic: 't', partition: 0, offset: '6' }]);
  });

  it('runs one commit at a time', async () => {
    let release: (() => void) | undefined;
    let inFlight = 0;
    let most = 0;
    const calls: Array<Parameters<CommitOffsets>[0]> = [];
    const c = committer(async (offsets) => {
      calls.push(offsets);
      most = Math.max(most, ++inFlight);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      inFlight--;
    });
    c.handled(0, '1');
    const first = c.flush();
    c.handled(0, '2');
    const second = c.flush();
    release?.();
    await Promise.all([first, second]);
    expect(most).toBe(1);
    expect(calls.map((offsets) => offsets[0].offset)).toEqual(['2', '3']);
  });

  it('commits from its timer and once more at stop', async () => {
    const commits: string[] = [];
    let onCommit: (() => void) | undefined;
    const c = new OffsetCommitter({
      topic: 't', intervalMs: 10, logger,
      commit: async (offsets) => {
        commits.push(offsets[0].offset);
        onCommit?.();
      },
    });
    c.start();
    c.handled(0, '1');
    await new Promise<void>((resolve) => (onCommit = resolve));
    c.handled(0, '4');
    await c.stop();
    expect(commits).toEqual(['2', '5']);
  });
});
