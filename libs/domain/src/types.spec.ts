import { isPermission, isRuleKind, isTokenAction } from './types.js';

describe('type guards', () => {
  it.each([
    [isPermission, ['PUB', 'SUB', 'ALL'], ['pub', 'R', '', 'ALL ', 1, null]],
    [isTokenAction, ['R', 'W', 'RW'], ['WR', 'r', 'PUB', '', undefined]],
    [isRuleKind, ['outflow', 'inflow', 'status'], ['Outflow', 'presence', '', {}]],
  ] as Array<[(v: unknown) => boolean, unknown[], unknown[]]>)('%p accepts only its members', (guard, yes, no) => {
    for (const v of yes) expect(guard(v)).toBe(true);
    for (const v of no) expect(guard(v)).toBe(false);
  });
});
