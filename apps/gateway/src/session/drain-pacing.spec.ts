import { drainDueCount } from './drain-pacing.js';

describe('drainDueCount', () => {
  it('closes the first connection at once and the rest evenly over the window', () => {
    expect(drainDueCount(10, 0, 1000)).toBe(1);
    expect(drainDueCount(10, 250, 1000)).toBe(3);
    expect(drainDueCount(10, 500, 1000)).toBe(6);
    expect(drainDueCount(10, 999, 1000)).toBe(10);
  });

  it('closes everything once the window is over, or at once without a window', () => {
    expect(drainDueCount(10, 1000, 1000)).toBe(10);
    expect(drainDueCount(10, 5000, 1000)).toBe(10);
    expect(drainDueCount(7, 0, 0)).toBe(7);
  });

  it('never asks for more than there are', () => {
    expect(drainDueCount(0, 0, 1000)).toBe(0);
    expect(drainDueCount(2, 900, 1000)).toBe(2);
  });
});
