import { hashToken, keyAllowsAction, parseTokenPassword, parseUsername, verifySignature, type Identity, type TokenGrant, type TokenPassword } from '#auth';
import { DEFAULT_INSTANCE_ID, MAX_CLIENT_ID_LENGTH, parseClientId } from '#domain';
import type { AccessKeyCredential, TokenCredential } from '#domain/persistence';
import type { CredentialRef } from '../gateway.ports.js';
import { ConnectRefused } from './connect-refused.js';
import type { CredentialStore, ParentTopics } from './credential-store.js';

export interface ConnectAttempt {
  /** As sent in CONNECT; may be empty. */
  clientId: string;
  /** The ID the broker uses for an empty one (anonymous only). */
  generatedClientId: string;
  cleanSession: boolean;
  username: string | undefined;
  password: Buffer | undefined;
}

export interface Authenticated {
  instanceId: string;
  clientId: string;
  identity: Identity;
  credential: CredentialRef;
  parentTopics: ParentTopics;
}

const NO_TOPICS: ParentTopics = Object.freeze({ names: new Set<string>() });

/** The access key a signature or token login names, if it exists and is enabled. */
function enabled(key: AccessKeyCredential | null): AccessKeyCredential {
  if (key === null) throw new ConnectRefused(4, 'unknown-access-key');
  if (!key.enabled) throw new ConnectRefused(5, 'key-disabled');
  return key;
}

/**
 * Turns a CONNECT's client ID, username and password into an Identity, or throws
 * ConnectRefused with the CONNACK code (see connect-refused.ts). Database failures with
 * nothing cached become code 3.
 */
export class Authenticator {
  private readonly allowAnonymous: boolean;
  private readonly clock: () => number;

  constructor(
    private readonly store: CredentialStore,
    options: { allowAnonymous: boolean; clock?: () => number },
  ) {
    this.allowAnonymous = options.allowAnonymous;
    this.clock = options.clock ?? Date.now;
  }

  async authenticate(attempt: ConnectAttempt): Promise<Authenticated> {
    try {
      return await this.check(attempt);
    } catch (err) {
      if (err instanceof ConnectRefused) throw err;
      throw Object.assign(new ConnectRefused(3, 'server-unavailable'), { cause: err });
    }
  }

  private async check(attempt: ConnectAttempt): Promise<Authenticated> {
    const { username, password } = attempt;
    // The cloud contract's 64 characters hold in every mode, anonymous too (MQTT 3.1.1 requires
    // servers to allow only 1 to 23 bytes; a refused ID answers 2 [MQTT-3.1.3-9]): longer IDs
    // only cost memory and cannot be stored as a client_sessions row.
    if (attempt.clientId.length > MAX_CLIENT_ID_LENGTH) throw new ConnectRefused(2, 'client-id-too-long');
    if ((username === undefined || username === '') && (password === undefined || password.length === 0)) {
      return this.anonymous(attempt);
    }
    const parsed = username === undefined ? null : parseUsername(username);
    if (parsed === null) throw new ConnectRefused(4, 'malformed-username');
    if (password === undefined || password.length === 0) throw new ConnectRefused(4, 'missing-password');
    const clientId = attempt.clientId;
    const ids = parseClientId(clientId);
    if (ids === null) throw new ConnectRefused(2, 'malformed-client-id');

    // Each lookup is read from the cache without a promise when it is there (credential-store.ts).
    const store = this.store;
    const instance = store.cachedInstance(parsed.instanceId) ?? (await store.instance(parsed.instanceId));
    if (instance === null) throw new ConnectRefused(5, 'unknown-instance');
    // The anonymous `default` instance has no groups to check.
    if (!instance.anonymous && !(store.cachedGroupExists(instance.id, ids.groupId) ?? (await store.groupExists(instance.id, ids.groupId)))) {
      throw new ConnectRefused(5, 'unknown-group');
    }

    let identity: Identity;
    let credential: CredentialRef;
    switch (parsed.mode) {
      case 'signature': {
        const key = enabled(store.cachedAccessKey(instance.id, parsed.accessKeyId) ?? (await store.accessKey(instance.id, parsed.accessKeyId)));
        if (!verifySignature(key.secret, clientId, password)) throw new ConnectRefused(4, 'bad-signature');
        identity = { kind: 'access-key', instanceId: instance.id, clientId, accessKeyId: key.accessKeyId, permission: key.permission };
        credential = { mode: 'signature', accessKeyId: key.accessKeyId, tokenHashes: [] };
        break;
      }
      case 'token': {
        const tokens = parseTokenPassword(password);
        if (tokens === null) throw new ConnectRefused(4, 'malformed-token-password');
        const key = enabled(store.cachedAccessKey(instance.id, parsed.accessKeyId) ?? (await store.accessKey(instance.id, parsed.accessKeyId)));
        const granted = await this.grants(tokens, instance.id, parsed.accessKeyId);
        // The key may have lost a right after the token was issued: the key's permission bounds it.
        const read = keyAllowsAction(key.permission, 'R') ? granted.read : undefined;
        const write = keyAllowsAction(key.permission, 'W') ? granted.write : undefined;
        if (read === undefined && write === undefined) throw new ConnectRefused(5, 'token-beyond-key');
        const hashes = granted.hashes;
        identity = { kind: 'token', instanceId: instance.id, clientId, accessKeyId: parsed.accessKeyId, read, write };
        credential = { mode: 'token', accessKeyId: parsed.accessKeyId, tokenHashes: hashes };
        break;
      }
      case 'device-credential': {
        const dc = await this.store.deviceCredential(parsed.accessKeyId);
        if (dc === null || dc.instanceId !== instance.id) throw new ConnectRefused(4, 'unknown-device-credential');
        // The signature covers the client ID, so checking it first tells a wrong secret from a wrong client.
        if (!verifySignature(dc.secret, clientId, password)) throw new ConnectRefused(4, 'bad-signature');
        if (dc.clientId !== clientId) throw new ConnectRefused(5, 'credential-other-client');
        identity = { kind: 'device-credential', instanceId: instance.id, clientId, accessKeyId: dc.deviceAccessKeyId };
        credential = { mode: 'device-credential', deviceAccessKeyId: dc.deviceAccessKeyId, tokenHashes: [] };
        break;
      }
    }
    const parentTopics = store.cachedParentTopics(instance.id) ?? (await store.loadParentTopics(instance.id));
    return { instanceId: instance.id, clientId, identity, credential, parentTopics };
  }

  private async anonymous(attempt: ConnectAttempt): Promise<Authenticated> {
    if (!this.allowAnonymous) throw new ConnectRefused(5, 'anonymous-disabled');
    // [MQTT-3.1.3-8]: a zero-byte client ID needs CleanSession=1, else CONNACK 2.
    if (attempt.clientId === '' && !attempt.cleanSession) throw new ConnectRefused(2, 'empty-client-id-persistent');
    const instance = this.store.cachedInstance(DEFAULT_INSTANCE_ID) ?? (await this.store.instance(DEFAULT_INSTANCE_ID));
    if (instance === null || !instance.anonymous) throw new ConnectRefused(5, 'anonymous-disabled');
    const clientId = attempt.clientId === '' ? attempt.generatedClientId : attempt.clientId;
    return {
      instanceId: DEFAULT_INSTANCE_ID,
      clientId,
      identity: { kind: 'anonymous', instanceId: DEFAULT_INSTANCE_ID, clientId },
      credential: { mode: 'anonymous', tokenHashes: [] },
      parentTopics: NO_TOPICS,
    };
  }

  private async grants(tokens: TokenPassword, instanceId: string, accessKeyId: string) {
    let read: TokenGrant | undefined;
    let write: TokenGrant | undefined;
    const hashes: string[] = [];
    for (const type of ['R', 'W', 'RW'] as const) {
      const token = tokens[type];
      if (token === undefined) continue;
      const hash = hashToken(token);
      const rec = await this.store.token(hash);
      this.checkToken(rec, instanceId, accessKeyId, type);
      const grant: TokenGrant = { resources: rec!.resources, expiresAt: rec!.expiresAt };
      if (type !== 'W') read = grant;
      if (type !== 'R') write = grant;
      hashes.push(hash);
    }
    return { read, write, hashes };
  }

  private checkToken(rec: TokenCredential | null, instanceId: string, accessKeyId: string, type: 'R' | 'W' | 'RW'): void {
    if (rec === null) throw new ConnectRefused(4, 'unknown-token');
    if (rec.instanceId !== instanceId || rec.accessKeyId !== accessKeyId) throw new ConnectRefused(4, 'token-mismatch');
    // A token presented as R must carry R; as W, W; as RW, both.
    const ok = type === 'RW' ? rec.actions === 'RW' : rec.actions === type || rec.actions === 'RW';
    if (!ok) throw new ConnectRefused(4, 'token-action-mismatch');
    if (rec.revoked) throw new ConnectRefused(5, 'token-revoked');
    if (rec.expiresAt <= this.clock()) throw new ConnectRefused(5, 'token-expired');
  }
}
