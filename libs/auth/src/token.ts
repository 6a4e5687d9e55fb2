import { createHash, randomBytes, randomInt } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Unbiased: randomInt rejects out-of-range samples itself. */
function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

export const ACCESS_KEY_ID_PREFIX = 'AK';

/** `AK` + 16 base62 characters (about 95 bits): an identifier, not a secret. */
export function generateAccessKeyId(): string {
  return ACCESS_KEY_ID_PREFIX + randomBase62(16);
}

/** 30 base62 characters, about 178 bits; shown once, then kept only encrypted. */
export function generateSecret(): string {
  return randomBase62(30);
}

/** 256 random bits as base64url (43 characters, never '|', so it fits a token password). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored and looked up by this SHA-256 hex digest only. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
