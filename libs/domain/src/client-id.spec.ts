import { parseClientId } from './client-id.js';

describe('parseClientId', () => {
  const valid: Array<[string, string, string]> = [
    ['GID_sensors@@@device-1', 'GID_sensors', 'device-1'],
    ['GID_a@@@b', 'GID_a', 'b'],
    ['GID_A_b-c@@@D_e-F9', 'GID_A_b-c', 'D_e-F9'],
    [`GID_g@@@${'d'.repeat(56)}`, 'GID_g', 'd'.repeat(56)], // exactly 64 chars
  ];
  it.each(valid)('%j -> %s + %s', (id, groupId, deviceId) => {
    expect(parseClientId(id)).toEqual({ groupId, deviceId });
  });

  it.each([
    [`GID_g@@@${'d'.repeat(57)}`, '65 chars'],
    ['GID_g@@@', 'empty device'],
    ['GID_@@@dev', 'empty group name'],
    ['@@@dev', 'no group'],
    ['sensors@@@dev', 'group without GID_'],
    ['gid_s@@@dev', 'lower-case prefix'],
    ['GID_s@@dev', 'two @'],
    ['GID_s@@@@dev', 'four @'],
    ['GID_s@@@a@@@b', 'two separators'],
    ['GID_sdev', 'no separator'],
    ['GID_s@@@dev ice', 'space in device'],
    ['GID_s@@@dev/ice', 'slash in device'],
    ['GID_s@@@dévice', 'non-ASCII device'],
    ['GID_s.x@@@dev', 'dot in group'],
    ['', 'empty'],
  ])('%j is refused (%s)', (id) => {
    expect(parseClientId(id)).toBeNull();
  });
});
