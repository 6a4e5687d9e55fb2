import { computeSignature, verifySignature } from './signature.js';

// Independent vectors, computed outside Node with:
//   printf '%s' "<clientId>" | openssl dgst -sha1 -hmac "<secret>" -binary | base64
const VECTORS: Array<[secret: string, clientId: string, signature: string]> = [
  ['secretKey123', 'GID_sensors@@@device-001', '6XA9XKl8Uby5f5qhXljCfyjqR/E='],
  ['qGvcPdrTnKtbbcCwHMBVDMTQdxhH5z', 'GID_test@@@0001', 'xyYVKvZgu8ES1MquRx+7/X2bVws='],
  ['s3cr3t-ÄÖ', 'GID_a@@@b', 'FWg8aU8SpwFG+Rw5E0gFXi04Qaw='], // UTF-8 key
  ['KEY', '', 'dLTlw6KmJnURZwFXU4D6PsTpV7w='],
  // RFC 2202 test case 2 (digest effcdf6ae5eb2fa2d27416d5f184df9c259a7c79).
  ['Jefe', 'what do ya want for nothing?', '7/zfauXrL6LSdBbV8YTfnCWafHk='],
];

describe('computeSignature', () => {
  it.each(VECTORS)('HMAC-SHA1(%j, %j) -> %s', (secret, clientId, signature) => {
    expect(computeSignature(secret, clientId)).toBe(signature);
  });

  it('encodes the raw digest bytes, not the hex string', () => {
    expect(Buffer.from(computeSignature('Jefe', 'what do ya want for nothing?'), 'base64').toString('hex')).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });
});

describe('verifySignature', () => {
  it.each(VECTORS)('accepts the right signature for %j / %j as string and Buffer', (secret, clientId, signature) => {
    expect(verifySignature(secret, clientId, signature)).toBe(true);
    expect(verifySignature(secret, clientId, Buffer.from(signature))).toBe(true);
  });

  const [secret, clientId, good] = VECTORS[0];
  it.each([
    ['another secret', 'secretKey124', clientId, good],
    ['another client', secret, 'GID_sensors@@@device-002', good],
    ['one character changed', secret, clientId, `7${good.slice(1)}`],
    ['missing padding', secret, clientId, good.slice(0, -1)],
    ['extra character', secret, clientId, `${good}=`],
    ['hex digest instead of Base64', secret, clientId, Buffer.from(good, 'base64').toString('hex')],
    ['base64url alphabet', secret, clientId, Buffer.from(good, 'base64').toString('base64url')],
    ['empty', secret, clientId, ''],
  ])('refuses %s', (_case, s, c, password) => {
    expect(verifySignature(s, c, password)).toBe(false);
    expect(verifySignature(s, c, Buffer.from(password))).toBe(false);
  });
});
