/**
 * CONNACK return codes FleetMQ answers (MQTT 3.1.1 §3.2.2.3):
 * 2 identifier rejected: the client ID is not `GID_x@@@device` (or empty with a persistent session),
 *   or is longer than 64 characters (in every mode, anonymous included);
 * 3 server unavailable: the database cannot be reached and nothing usable is cached;
 * 4 bad user name or password: malformed username/password, unknown key or token, wrong signature;
 * 5 not authorized: anonymous while off, unknown instance or group, disabled key, expired or
 *   revoked token, a token whose every action its key lacks, a credential of another client, a
 *   will the client may not publish (with FLEETMQ_DENY_ACTION=disconnect), or too many failures
 *   (auth-failure-limiter.ts).
 */
export type RefusalCode = 2 | 3 | 4 | 5;

export const REFUSAL_REASONS = [
  'rate-limited',
  'anonymous-disabled',
  'empty-client-id-persistent',
  'malformed-username',
  'missing-password',
  'malformed-client-id',
  'client-id-too-long',
  'unknown-instance',
  'unknown-group',
  'unknown-access-key',
  'key-disabled',
  'bad-signature',
  'malformed-token-password',
  'unknown-token',
  'token-mismatch',
  'token-action-mismatch',
  'token-beyond-key',
  'token-revoked',
  'token-expired',
  'unknown-device-credential',
  'credential-other-client',
  'will-not-authorized',
  'server-unavailable',
  'internal-error',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A CONNECT the gateway refuses; `returnCode` goes into the CONNACK (aedes reads `returnCode`). */
export class ConnectRefused extends Error {
  override readonly name = 'ConnectRefused';

  constructor(
    readonly returnCode: RefusalCode,
    readonly reason: RefusalReason,
  ) {
    super(`connect refused: ${reason}`);
  }
}
