import { DEFAULT_INSTANCE_ID, generateInstanceId, isValidInstanceId } from './instance-id.js';

describe('isValidInstanceId', () => {
  it.each([
    ['default', true],
    ['fmq-7k2d9x', true],
    ['fmq-abcdef0123456789', true], // 16 chars after the prefix
    ['fmq-abcdef01234567890', false], // 17
    ['fmq-abcde', false], // 5
    ['fmq-ABCDEF', false],
    ['fmq-abc_ef', false],
    ['FMQ-abcdef', false],
    ['fmqabcdef', false],
    ['Default', false],
    ['', false],
    [' fmq-abcdef', false],
    ['fmq-abcdef\n', false],
  ])('%j -> %s', (id, valid) => {
    expect(isValidInstanceId(id)).toBe(valid);
  });

  it('names the default instance "default"', () => {
    expect(DEFAULT_INSTANCE_ID).toBe('default');
  });
});

describe('generateInstanceId', () => {
  it('produces valid, distinct IDs of the documented shape', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = generateInstanceId();
      expect(id).toMatch(/^fmq-[a-z0-9]{6}$/);
      expect(isValidInstanceId(id)).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });
});
