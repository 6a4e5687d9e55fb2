import { randomBytes } from 'node:crypto';
import { InvalidMasterKeyError, SecretBoxError } from './errors.js';
import { parseMasterKey, SecretBox } from './secret-box.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it.each(['', 'qGvcPdrTnKtbbcCwHMBVDMTQdxhH5z', 'ünïcödé 日本 😀', 'x'.repeat(10_000)])('round-trips %#', (plain) => {
    const boxed = box.encrypt(plain);
    expect(boxed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(boxed).not.toContain(plain || '\u0000');
    expect(box.decrypt(boxed)).toBe(plain);
  });

  it('lays out iv (12) | tag (16) | ciphertext and uses a fresh IV each time', () => {
    const a = box.encrypt('secret');
    const b = box.encrypt('secret');
    expect(a).not.toBe(b);
    const raw = Buffer.from(a.slice(3), 'base64url');
    expect(raw.length).toBe(12 + 16 + 'secret'.length);
    expect(raw.subarray(0, 12).equals(Buffer.from(b.slice(3), 'base64url').subarray(0, 12))).toBe(false);
  });

  function flip(boxed: string, index: number): string {
    const raw = Buffer.from(boxed.slice(3), 'base64url');
    raw[index] ^= 0x01;
    return `v1.${raw.toString('base64url')}`;
  }

  const sealed = new SecretBox(KEY).encrypt('the secret');
  it.each([
    ['a flipped IV bit', flip(sealed, 0), 'tampered'],
    ['a flipped tag bit', flip(sealed, 12), 'tampered'],
    ['a flipped ciphertext bit', flip(sealed, 28), 'tampered'],
    ['a truncated ciphertext', `v1.${Buffer.from(sealed.slice(3), 'base64url').subarray(0, 30).toString('base64url')}`, 'tampered'],
    ['too short for iv and tag', `v1.${Buffer.alloc(27).toString('base64url')}`, 'malformed'],
    ['another version', `v2.${sealed.slice(3)}`, 'malformed'],
    ['no version', sealed.slice(3), 'malformed'],
    ['non-base64url body', `v1.${sealed.slice(3, 20)}+/=`, 'malformed'],
    ['empty body', 'v1.', 'malformed'],
    ['empty', '', 'malformed'],
  ])('refuses %s with a SecretBoxError', (_case, boxed, code) => {
    const error = errorOf(() => box.decrypt(boxed));
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as SecretBoxError).name).toBe('SecretBoxError');
    expect((error as SecretBoxError).code).toBe(code);
  });

  it('cannot be opened under another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect((errorOf(() => other.decrypt(sealed)) as SecretBoxError).code).toBe('tampered');
  });

  it('keeps its own copy of the key', () => {
    const key = Buffer.from(KEY);
    const own = new SecretBox(key);
    const boxed = own.encrypt('x');
    key.fill(0);
    expect(own.decrypt(boxed)).toBe('x');
  });

  it.each([0, 16, 31, 33, 64])('refuses a %i-byte key', (size) => {
    expect(() => new SecretBox(Buffer.alloc(size))).toThrow(InvalidMasterKeyError);
  });
});

describe('parseMasterKey', () => {
  const hex = KEY.toString('hex');
  const base64 = KEY.toString('base64');
  it.each([
    ['lower-case hex', hex],
    ['upper-case hex', hex.toUpperCase()],
    ['base64', base64],
    ['hex with a trailing newline', `${hex}\n`],
    ['base64 with surrounding spaces', `  ${base64} `],
  ])('reads %s', (_case, text) => {
    expect(parseMasterKey(text).equals(KEY)).toBe(true);
  });

  it.each([
    ['short hex', hex.slice(2)],
    ['long hex', `${hex}00`],
    ['non-hex characters', `${hex.slice(1)}g`],
    ['base64 of 31 bytes', KEY.subarray(1).toString('base64')],
    ['base64 of 33 bytes', Buffer.concat([KEY, Buffer.alloc(1)]).toString('base64')],
    ['base64 without padding', base64.slice(0, -1)],
    ['base64url alphabet', Buffer.alloc(32, 0xff).toString('base64url')],
    ['empty', ''],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_case, text) => {
    expect(() => parseMasterKey(text)).toThrow(InvalidMasterKeyError);
  });

  it('gives a key SecretBox accepts', () => {
    const box = new SecretBox(parseMasterKey(randomBytes(32).toString('base64')));
    expect(box.decrypt(box.encrypt('ok'))).toBe('ok');
  });
});
