import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidMasterKeyError, SecretBoxError } from './errors.js';

const VERSION = 'v1.';
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Encrypts secrets at rest with AES-256-GCM under the master key. A box is
 * `v1.` + base64url(iv | tag | ciphertext); the version prefix leaves room for key rotation.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== KEY_BYTES) throw new InvalidMasterKeyError(`master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
    this.#key = Buffer.from(masterKey);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  /** Throws SecretBoxError when the box is malformed, altered, or sealed under another key. */
  decrypt(boxed: string): string {
    if (!boxed.startsWith(VERSION)) throw new SecretBoxError('malformed', 'unknown secret box version');
    const body = boxed.slice(VERSION.length);
    if (!BASE64URL.test(body)) throw new SecretBoxError('malformed', 'secret box is not base64url');
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('malformed', 'secret box is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('tampered', 'secret box failed authentication');
    }
  }
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** The 32-byte master key from 64 hex characters or standard base64 (surrounding whitespace ignored). */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (BASE64_KEY.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new InvalidMasterKeyError();
}
