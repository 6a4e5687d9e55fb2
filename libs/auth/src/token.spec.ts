import { generateAccessKeyId, generateSecret, generateToken, hashToken } from './token.js';

function distinct(generate: () => string, count = 200): Set<string> {
  return new Set(Array.from({ length: count }, generate));
}

describe('generators', () => {
  it.each([
    ['generateAccessKeyId', generateAccessKeyId, /^AK[A-Za-z0-9]{16}$/],
    ['generateSecret', generateSecret, /^[A-Za-z0-9]{30}$/],
    ['generateToken', generateToken, /^[A-Za-z0-9_-]{43}$/],
  ] as Array<[string, () => string, RegExp]>)('%s gives distinct values of the expected shape', (_name, generate, shape) => {
    const values = distinct(generate);
    expect(values.size).toBe(200);
    for (const v of values) expect(v).toMatch(shape);
  });

  it('generateToken carries at least 128 random bits', () => {
    expect(Buffer.from(generateToken(), 'base64url').length * 8).toBeGreaterThanOrEqual(128);
  });

  it('uses the whole base62 alphabet for secrets', () => {
    const seen = new Set([...Array.from({ length: 200 }, generateSecret).join('')]);
    expect(seen.size).toBe(62);
  });
});

describe('hashToken', () => {
  // printf 'hello' | openssl dgst -sha256
  it('is the SHA-256 hex digest', () => {
    expect(hashToken('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('differs for different tokens and is stable', () => {
    const t = generateToken();
    expect(hashToken(t)).toBe(hashToken(t));
    expect(hashToken(t)).not.toBe(hashToken(`${t}x`));
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
  });
});
