import { parseTokenPassword, parseUsername } from './credentials.js';

describe('parseUsername', () => {
  it.each([
    ['Signature|AKabc|fmq-7k2d9x', 'signature', 'AKabc', 'fmq-7k2d9x'],
    ['Token|AKabc|fmq-7k2d9x', 'token', 'AKabc', 'fmq-7k2d9x'],
    ['DeviceCredential|DAK1|fmq-7k2d9x', 'device-credential', 'DAK1', 'fmq-7k2d9x'],
    ['Signature|AKabc|default', 'signature', 'AKabc', 'default'],
    [`Signature|${'k'.repeat(128)}|fmq-abcdef`, 'signature', 'k'.repeat(128), 'fmq-abcdef'],
  ])('%j -> %s', (username, mode, accessKeyId, instanceId) => {
    expect(parseUsername(username)).toEqual({ mode, accessKeyId, instanceId });
    expect(parseUsername(Buffer.from(username))).toEqual({ mode, accessKeyId, instanceId });
  });

  it.each([
    [''],
    ['Signature'],
    ['Signature|AKabc'],
    ['Signature|AKabc|fmq-7k2d9x|x'],
    ['Signature||fmq-7k2d9x'],
    ['Signature|AKabc|'],
    ['|AKabc|fmq-7k2d9x'],
    ['signature|AKabc|fmq-7k2d9x'],
    ['SIGNATURE|AKabc|fmq-7k2d9x'],
    ['Password|AKabc|fmq-7k2d9x'],
    ['toString|AKabc|fmq-7k2d9x'],
    ['__proto__|AKabc|fmq-7k2d9x'],
    ['Signature|AKabc|not-an-instance'],
    ['Signature|AKabc|fmq-7K2D9X'],
    [`Signature|${'k'.repeat(129)}|fmq-abcdef`],
  ])('refuses %j', (username) => {
    expect(parseUsername(username)).toBeNull();
  });
});

describe('parseTokenPassword', () => {
  it.each([
    ['R|tr', { R: 'tr' }],
    ['W|tw', { W: 'tw' }],
    ['RW|trw', { RW: 'trw' }],
    ['R|tr|W|tw', { R: 'tr', W: 'tw' }],
    ['W|tw|R|tr', { R: 'tr', W: 'tw' }],
    ['R|a-b_C9|W|a-b_C9', { R: 'a-b_C9', W: 'a-b_C9' }],
  ])('%j -> %j', (password, expected) => {
    expect(parseTokenPassword(password)).toEqual(expected);
    expect(parseTokenPassword(Buffer.from(password))).toEqual(expected);
  });

  it.each([
    [''],
    ['R'],
    ['R|'],
    ['|t'],
    ['t'],
    ['R|t|W'],
    ['R|t|W|'],
    ['R|t|R|u'],
    ['W|t|W|u'],
    ['RW|t|R|u'],
    ['R|u|RW|t'],
    ['RW|t|RW|u'],
    ['WR|t'],
    ['r|t'],
    ['X|t'],
    ['R|t|W|u|RW|v'],
    ['R|t|W|u|'],
    ['R||W|u'],
  ])('refuses %j', (password) => {
    expect(parseTokenPassword(password)).toBeNull();
  });
});
