import type { Permission, TokenAction } from '#domain';
import { actionsBeyondKey, keyAllowsAction } from './permission.js';

describe('keyAllowsAction', () => {
  it.each<[Permission, boolean, boolean]>([
    ['ALL', true, true],
    ['PUB', false, true],
    ['SUB', true, false],
  ])('%s key: R %s, W %s', (permission, read, write) => {
    expect(keyAllowsAction(permission, 'R')).toBe(read);
    expect(keyAllowsAction(permission, 'W')).toBe(write);
  });
});

describe('actionsBeyondKey', () => {
  it.each<[Permission, TokenAction, string[]]>([
    ['ALL', 'R', []],
    ['ALL', 'W', []],
    ['ALL', 'RW', []],
    ['PUB', 'W', []],
    ['PUB', 'R', ['R']],
    ['PUB', 'RW', ['R']],
    ['SUB', 'R', []],
    ['SUB', 'W', ['W']],
    ['SUB', 'RW', ['W']],
  ])('%s key, %s token -> %j', (permission, actions, beyond) => {
    expect(actionsBeyondKey(permission, actions)).toEqual(beyond);
  });
});
