import type { Permission } from '#domain';

/** One token's grant: topic filters it applies to and when it stops (ms since epoch). */
export interface TokenGrant {
  resources: string[];
  expiresAt: number;
}

/** Who a connected client is, as established on CONNECT. */
export type Identity =
  | { kind: 'anonymous'; instanceId: 'default'; clientId: string }
  | { kind: 'access-key'; instanceId: string; clientId: string; accessKeyId: string; permission: Permission }
  | { kind: 'device-credential'; instanceId: string; clientId: string; accessKeyId: string }
  | { kind: 'token'; instanceId: string; clientId: string; accessKeyId: string; read?: TokenGrant; write?: TokenGrant };
