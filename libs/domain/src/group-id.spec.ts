import { isValidGroupId } from './group-id.js';

describe('isValidGroupId', () => {
  it.each([
    ['GID_sensors', true],
    ['GID_a', true],
    ['GID_A-b_9', true],
    ['GID__', true],
    [`GID_${'x'.repeat(60)}`, true], // 64 chars
    [`GID_${'x'.repeat(61)}`, false], // 65 chars
    ['GID_', false],
    ['gid_sensors', false],
    ['GIDsensors', false],
    ['sensors', false],
    ['GID_a b', false],
    ['GID_a@b', false],
    ['GID_a.b', false],
    ['GID_ä', false],
    ['', false],
  ])('%j -> %s', (id, valid) => {
    expect(isValidGroupId(id)).toBe(valid);
  });
});
