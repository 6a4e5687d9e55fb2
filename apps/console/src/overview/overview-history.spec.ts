import { OverviewHistory, type OverviewSample } from './overview-history.js';

function sample(n: number): OverviewSample {
  return { at: new Date(n * 1000).toISOString(), connections: n, messagesInPerSecond: 0, messagesOutPerSecond: 0, kafka: 'up', database: 'up' };
}

describe('OverviewHistory', () => {
  it('keeps one sample per interval of the window', () => {
    expect(new OverviewHistory(5_000).capacity).toBe(180);
    expect(new OverviewHistory(7_000, 60_000).capacity).toBe(9);
  });

  it('returns the samples oldest first before the ring is full', () => {
    const history = new OverviewHistory(1_000, 5_000);
    [1, 2, 3].forEach((n) => history.add(sample(n)));
    expect(history.samples().map((s) => s.connections)).toEqual([1, 2, 3]);
  });

  it('drops the oldest once the window is full, still oldest first', () => {
    const history = new OverviewHistory(1_000, 3_000);
    [1, 2, 3, 4, 5].forEach((n) => history.add(sample(n)));
    expect(history.samples().map((s) => s.connections)).toEqual([3, 4, 5]);
  });
});
