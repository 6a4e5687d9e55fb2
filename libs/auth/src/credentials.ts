import { isValidInstanceId } from '#domain';

export type AuthMode = 'signature' | 'token' | 'device-credential';

export interface ParsedUsername {
  mode: AuthMode;
  accessKeyId: string;
  instanceId: string;
}

/** Longer access key IDs are refused before any lookup. */
export const MAX_ACCESS_KEY_ID_LENGTH = 128;

const MODES: Readonly<Record<string, AuthMode>> = {
  Signature: 'signature',
  Token: 'token',
  DeviceCredential: 'device-credential',
};

function text(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * Reads `Signature|AK|Instance`, `Token|AK|Instance` or `DeviceCredential|DAK|Instance`;
 * null for anything else (CONNACK 4). The mode word is case-sensitive.
 */
export function parseUsername(username: string | Buffer): ParsedUsername | null {
  const parts = text(username).split('|');
  if (parts.length !== 3) return null;
  const [word, accessKeyId, instanceId] = parts;
  const mode = Object.hasOwn(MODES, word) ? MODES[word] : undefined;
  if (mode === undefined) return null;
  if (accessKeyId.length === 0 || accessKeyId.length > MAX_ACCESS_KEY_ID_LENGTH) return null;
  if (!isValidInstanceId(instanceId)) return null;
  return { mode, accessKeyId, instanceId };
}

/** Tokens of a token-mode password, by type. */
export interface TokenPassword {
  R?: string;
  W?: string;
  RW?: string;
}

/**
 * Reads `type|token` pairs: `R|t`, `W|t`, `R|t|W|t` in either order, or `RW|t`. At most one
 * token per type, RW alone, no empty token; null for anything else.
 */
export function parseTokenPassword(password: string | Buffer): TokenPassword | null {
  const parts = text(password).split('|');
  if (parts.length !== 2 && parts.length !== 4) return null;
  const result: TokenPassword = {};
  for (let i = 0; i < parts.length; i += 2) {
    const type = parts[i];
    const token = parts[i + 1];
    if ((type !== 'R' && type !== 'W' && type !== 'RW') || token.length === 0) return null;
    if (result[type] !== undefined) return null;
    result[type] = token;
  }
  // RW already grants both: combining it with R or W is ambiguous.
  if (result.RW !== undefined && parts.length !== 2) return null;
  return result;
}
