import { jest } from '@jest/globals';
import { PublishGate } from './publish-gate.js';
import { TokenBucket } from './token-bucket.js';

describe('PublishGate', () => {
  it('keeps at most maxInflight running and admits the rest in order', () => {
    const gate = new PublishGate(2);
    const started: number[] = [];
    for (let i = 0; i < 5; i++) gate.submit(() => started.push(i));
    expect(started).toEqual([0, 1]);
    gate.release();
    expect(started).toEqual([0, 1, 2]);
    gate.release();
    gate.release();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.pending).toBe(0);
  });

  it('delays by the rate limit and keeps the order', async () => {
    let now = 0;
    const gate = new PublishGate(100, new TokenBucket(2, () => now));
    const started: number[] = [];
    for (let i = 0; i < 4; i++) gate.submit(() => { started.push(i); gate.release(); });
    expect(started).toEqual([0, 1]);
    now = 600; // real timers fire after ~500 ms; the fake clock decides the refill
    await new Promise((r) => setTimeout(r, 700));
    expect(started.slice(0, 3)).toEqual([0, 1, 2]);
    gate.close();
  });

  it('holds the rate when each start releases at once (QoS 0, in-process acks)', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const gate = new PublishGate(3, new TokenBucket(10, () => Date.now()));
      let started = 0;
      for (let i = 0; i < 40; i++) {
        gate.submit(() => {
          started++;
          gate.release();
        });
      }
      expect(started).toBe(10); // the full bucket
      jest.advanceTimersByTime(1_000);
      expect(started).toBe(20); // 10 more in one second, not 20
      jest.advanceTimersByTime(1_000);
      expect(started).toBe(30);
      gate.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('runs nothing after close', () => {
    const gate = new PublishGate(1);
    const started: number[] = [];
    gate.submit(() => started.push(0));
    gate.submit(() => started.push(1));
    gate.close();
    gate.release();
    gate.submit(() => started.push(2));
    expect(started).toEqual([0]);
  });
});
