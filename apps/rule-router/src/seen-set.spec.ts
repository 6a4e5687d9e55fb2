import { SeenSet } from './seen-set.js';

describe('SeenSet', () => {
  it('remembers pairs per rule and forgets the oldest beyond capacity', () => {
    const seen = new SeenSet(2);
    seen.add('r1', 'm1');
    expect(seen.has('r1', 'm1')).toBe(true);
    expect(seen.has('r2', 'm1')).toBe(false);
    seen.add('r1', 'm1');
    seen.add('r1', 'm2');
    seen.add('r1', 'm3');
    expect(seen.size).toBe(2);
    expect(seen.has('r1', 'm1')).toBe(false);
    expect(seen.has('r1', 'm3')).toBe(true);
  });
});
