import { createHash, createHmac, randomBytes } from 'node:crypto';
import { computeSignature } from '#auth';
import { hmacSha1, sha1, signClientId, toBase64 } from './hmac-sha1.js';

describe('browser HMAC-SHA1 against node:crypto', () => {
  // Lengths around the 64-byte block and the 55/56-byte padding boundary, where SHA-1 bugs hide.
  const lengths = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 128, 1000];

  it.each(lengths)('sha1 of %i bytes', (n) => {
    const data = randomBytes(n);
    expect(Buffer.from(sha1(data)).toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
  });

  it.each([0, 16, 64, 65, 200])('hmac with a %i-byte key', (keyLength) => {
    const key = randomBytes(keyLength);
    const message = randomBytes(77);
    expect(Buffer.from(hmacSha1(key, message)).toString('hex')).toBe(createHmac('sha1', key).update(message).digest('hex'));
  });

  it.each([0, 1, 2, 3, 4, 20])('base64 of %i bytes', (n) => {
    const data = randomBytes(n);
    expect(toBase64(data)).toBe(data.toString('base64'));
  });

  it('signs a client ID exactly as the gateway checks it', () => {
    const secret = randomBytes(18).toString('base64');
    for (const clientId of ['GID_sensors@@@device-1', 'GID_x@@@ü-ñ', '']) {
      expect(signClientId(secret, clientId)).toBe(computeSignature(secret, clientId));
    }
  });
});
