import { pino } from 'pino';
import { Writable } from 'node:stream';
import { RateLimitedLog } from './rate-limited-log.js';

describe('RateLimitedLog', () => {
  it('writes one line per key per interval, then says how many it left out', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    let now = 0;
    const log = new RateLimitedLog(pino(sink), 1_000, () => now);
    for (let i = 0; i < 5; i++) log.warn('a', { i }, 'refused');
    log.warn('b', { i: 0 }, 'refused');
    now = 1_000;
    log.warn('a', { i: 5 }, 'refused');
    expect(lines.map((l) => [l.i, l.suppressed])).toEqual([
      [0, undefined],
      [0, undefined],
      [5, 4],
    ]);
  });
});
