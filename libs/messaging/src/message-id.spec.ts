import { decodeTime } from 'ulid';
import { createMessageIdFactory, newMessageId } from './message-id.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('message ids', () => {
  it('are ULIDs carrying the generation time', () => {
    const next = createMessageIdFactory(() => 1_700_000_000_123);
    const id = next();
    expect(id).toMatch(ULID);
    expect(decodeTime(id)).toBe(1_700_000_000_123);
  });

  it('are unique and sort in generation order, also when the clock goes back', () => {
    let now = 1_700_000_000_000;
    const next = createMessageIdFactory(() => now);
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (i % 5000 === 4999) now -= 3; // clock stepped back
      else if (i % 700 === 0) now += 1;
      ids.push(next());
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('differ between factories (nodes) in the same millisecond', () => {
    const a = createMessageIdFactory(() => 5);
    const b = createMessageIdFactory(() => 5);
    expect(a().slice(10, 18)).not.toBe(b().slice(10, 18));
    expect(newMessageId()).toMatch(ULID);
  });
});
