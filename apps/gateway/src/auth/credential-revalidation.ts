import { keyAllowsAction } from '#auth';
import type { Logger } from '#config';
import type { ClientContext, CredentialInvalidation } from '../gateway.ports.js';
import type { LocalConnectionRegistry } from '../session/connection-registry.js';
import type { CredentialStore } from './credential-store.js';

export interface CredentialRevalidationDeps {
  store: CredentialStore;
  registry: LocalConnectionRegistry;
  logger: Logger;
  clock: () => number;
}

/** After an invalidation, a connection is re-checked against fresh data; true: it may stay. */
type StillValid = (ctx: ClientContext) => Promise<boolean>;

/**
 * Credential changes from the console (control commands): the cached credential is dropped,
 * then every connection here that used it is re-checked against fresh data and closed
 * ('auth-expired') if it is no longer valid, so a refreshed credential survives.
 */
export class CredentialRevalidation implements CredentialInvalidation {
  constructor(private readonly deps: CredentialRevalidationDeps) {}

  async invalidateToken(hash: string): Promise<number> {
    this.deps.store.invalidateToken(hash);
    return this.recheck((c) => c.credential.tokenHashes.includes(hash), (c) => this.tokensStillValid(c));
  }

  async invalidateAccessKey(accessKeyId: string): Promise<number> {
    this.deps.store.invalidateAccessKey(accessKeyId);
    return this.recheck((c) => c.credential.accessKeyId === accessKeyId, (c) => this.keyStillValid(c));
  }

  async invalidateDeviceCredential(deviceAccessKeyId: string): Promise<number> {
    this.deps.store.invalidateDeviceCredential(deviceAccessKeyId);
    return this.recheck((c) => c.credential.deviceAccessKeyId === deviceAccessKeyId, (c) => this.deviceStillValid(c));
  }

  invalidateInstance(instanceId: string): void {
    this.deps.store.invalidateInstance(instanceId);
  }

  dropInstance(instanceId: string): number {
    this.deps.store.forgetInstance(instanceId);
    const closed = this.deps.registry.closeWhere((ctx) => ctx.instanceId === instanceId, 'auth-expired');
    if (closed > 0) this.deps.logger.info({ instanceId, closed }, 'closed connections of a deleted instance');
    return closed;
  }

  private async recheck(uses: (ctx: ClientContext) => boolean, stillValid: StillValid): Promise<number> {
    const { registry, logger } = this.deps;
    const affected = registry.list().filter(uses);
    let closed = 0;
    for (const ctx of affected) {
      let valid: boolean;
      try {
        valid = await stillValid(ctx);
      } catch (err) {
        // Database down: keep the connection; the next invalidation or the token expiry will decide.
        logger.warn({ err, instanceId: ctx.instanceId, clientId: ctx.clientId }, 'credential re-check failed');
        continue;
      }
      if (!valid && registry.close(ctx.instanceId, ctx.clientId, 'auth-expired')) closed++;
    }
    if (closed > 0) logger.info({ closed }, 'closed connections after a credential change');
    return closed;
  }

  private async keyStillValid(ctx: ClientContext): Promise<boolean> {
    const key = await this.deps.store.accessKey(ctx.instanceId, ctx.credential.accessKeyId!);
    if (key === null || !key.enabled) return false;
    const identity = ctx.identity;
    if (identity.kind === 'access-key') return identity.permission === key.permission;
    // A token connection keeps only the actions its key still has (authenticator.ts intersects them).
    if (identity.kind === 'token') {
      return (identity.read === undefined || keyAllowsAction(key.permission, 'R')) && (identity.write === undefined || keyAllowsAction(key.permission, 'W'));
    }
    return true;
  }

  private async tokensStillValid(ctx: ClientContext): Promise<boolean> {
    const now = this.deps.clock();
    for (const hash of ctx.credential.tokenHashes) {
      const token = await this.deps.store.token(hash);
      if (token === null || token.revoked || token.expiresAt <= now) return false;
    }
    return this.keyStillValid(ctx);
  }

  private async deviceStillValid(ctx: ClientContext): Promise<boolean> {
    const dc = await this.deps.store.deviceCredential(ctx.credential.deviceAccessKeyId!);
    return dc !== null && dc.instanceId === ctx.instanceId && dc.clientId === ctx.clientId;
  }
}
