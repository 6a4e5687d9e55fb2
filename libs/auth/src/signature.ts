import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature-mode password: Base64 of the raw HMAC-SHA1 digest bytes (key = secret,
 * message = client ID), not of its hex string, as the cloud service's clients compute it.
 */
export function computeSignature(secret: string, clientId: string): string {
  return createHmac('sha1', secret).update(clientId, 'utf8').digest('base64');
}

/** Compares the expected signature with `password` in constant time. */
export function verifySignature(secret: string, clientId: string, password: string | Buffer): boolean {
  const expected = Buffer.from(computeSignature(secret, clientId), 'utf8');
  const given = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  // timingSafeEqual needs equal lengths; the length of a SHA-1 signature is public anyway.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}
