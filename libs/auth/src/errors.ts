/** A stored secret could not be opened: the box is malformed or was altered (or the key is wrong). */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
  readonly retriable = false;
  constructor(readonly code: 'malformed' | 'tampered', message: string) {
    super(message);
  }
}

/** The master key is not 32 bytes given as 64 hex characters or base64. */
export class InvalidMasterKeyError extends Error {
  override readonly name = 'InvalidMasterKeyError';
  readonly code = 'invalid-master-key';
  readonly retriable = false;
  constructor(message = 'master key must be 32 bytes as 64 hex characters or base64') {
    super(message);
  }
}
