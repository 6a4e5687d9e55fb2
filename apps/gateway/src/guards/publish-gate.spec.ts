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
