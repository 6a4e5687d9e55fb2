import { jest } from '@jest/globals';
import { pino } from 'pino';
import { computeSignature } from '#auth';
import type { AccessKeyCredential, CredentialLookupRepository, InstanceRecord } from '#domain/persistence';
import { Authenticator, type ConnectAttempt } from './authenticator.js';
import { ConnectRefused } from './connect-refused.js';
import { CredentialStore } from './credential-store.js';

const INSTANCE = 'fmq-unit01';
const KEY_ID = 'LTAIunitkey01';
const SECRET = 'unit-secret';
const TTL_MS = 30_000;

/** An in-memory credential table whose lookups are counted, as the database's would be. */
function fakeRepo() {
  const instances = new Map<string, InstanceRecord>([[INSTANCE, { id: INSTANCE, anonymous: false }]]);
  const keys = new Map<string, AccessKeyCredential>([[KEY_ID, { accessKeyId: KEY_ID, instanceId: INSTANCE, secret: SECRET, permission: 'ALL', enabled: true }]]);
  const groups = new Set([`${INSTANCE}|GID_unit`]);
  const repo = {
    findInstance: jest.fn(async (id: string) => instances.get(id) ?? null),
    findAccessKey: jest.fn(async (instanceId: string, id: string) => {
      const key = keys.get(id);
      return key !== undefined && key.instanceId === instanceId ? { ...key } : null;
    }),
    findToken: jest.fn(async () => null),
    findDeviceCredential: jest.fn(async () => null),
    groupExists: jest.fn(async (instanceId: string, groupId: string) => groups.has(`${instanceId}|${groupId}`)),
    parentTopics: jest.fn(async () => ['unit']),
  };
  return { repo, keys, instances };
}

function signed(clientId: string, secret = SECRET): ConnectAttempt {
  return {
    clientId,
    generatedClientId: 'generated',
    cleanSession: true,
    username: `Signature|${KEY_ID}|${INSTANCE}`,
    password: Buffer.from(computeSignature(secret, clientId)),
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConnectRefused) return err.reason;
    throw err;
  }
  throw new Error('accepted');
}

describe('Authenticator with the credential cache', () => {
  let now = 1_000_000;
  let db: ReturnType<typeof fakeRepo>;
  let store: CredentialStore;
  let auth: Authenticator;

  beforeEach(() => {
    now = 1_000_000;
    db = fakeRepo();
    store = new CredentialStore(db.repo as unknown as CredentialLookupRepository, TTL_MS, pino({ level: 'silent' }), () => now);
    auth = new Authenticator(store, { allowAnonymous: false, clock: () => now });
  });

  const lookups = () => db.repo.findInstance.mock.calls.length + db.repo.findAccessKey.mock.calls.length + db.repo.groupExists.mock.calls.length + db.repo.parentTopics.mock.calls.length;

  it('checks every connect of a cached key without a lookup, signature and all', async () => {
    const first = await auth.authenticate(signed('GID_unit@@@d1'));
    expect(first).toMatchObject({ instanceId: INSTANCE, clientId: 'GID_unit@@@d1', identity: { kind: 'access-key', accessKeyId: KEY_ID, permission: 'ALL' } });
    const afterFirst = lookups();
    expect(afterFirst).toBe(4);
    expect(await auth.authenticate(signed('GID_unit@@@d2'))).toMatchObject({ clientId: 'GID_unit@@@d2' });
    expect(lookups()).toBe(afterFirst);
    // Cached lookups do not relax the checks: a wrong signature, an unknown group or key is still refused.
    expect(await refusal(auth.authenticate(signed('GID_unit@@@d3', 'other-secret')))).toBe('bad-signature');
    expect(await refusal(auth.authenticate({ ...signed('GID_unit@@@d3'), password: Buffer.from(computeSignature(SECRET, 'GID_unit@@@d4')) }))).toBe('bad-signature');
    expect(await refusal(auth.authenticate(signed('GID_other@@@d1')))).toBe('unknown-group');
    expect(await refusal(auth.authenticate({ ...signed('GID_unit@@@d1'), username: `Signature|LTAIunknown|${INSTANCE}` }))).toBe('unknown-access-key');
  });

  it('looks the key up again once its TTL is over', async () => {
    await auth.authenticate(signed('GID_unit@@@d1'));
    db.keys.get(KEY_ID)!.enabled = false;
    now += TTL_MS - 1;
    await auth.authenticate(signed('GID_unit@@@d1'));
    now += 2;
    expect(await refusal(auth.authenticate(signed('GID_unit@@@d1')))).toBe('key-disabled');
  });

  it('refuses the next connect at once after a disabled key is invalidated', async () => {
    await auth.authenticate(signed('GID_unit@@@d1'));
    db.keys.get(KEY_ID)!.enabled = false;
    store.invalidateAccessKey(KEY_ID);
    expect(await refusal(auth.authenticate(signed('GID_unit@@@d1')))).toBe('key-disabled');
  });

  it('refuses the next connect at once after a deleted key is invalidated', async () => {
    await auth.authenticate(signed('GID_unit@@@d1'));
    db.keys.delete(KEY_ID);
    store.invalidateAccessKey(KEY_ID);
    expect(await refusal(auth.authenticate(signed('GID_unit@@@d1')))).toBe('unknown-access-key');
  });

  it('refuses the next connect at once after its instance is deleted', async () => {
    await auth.authenticate(signed('GID_unit@@@d1'));
    db.instances.delete(INSTANCE);
    store.forgetInstance(INSTANCE);
    expect(store.cachedAccessKey(INSTANCE, KEY_ID)).toBeUndefined();
    expect(await refusal(auth.authenticate(signed('GID_unit@@@d1')))).toBe('unknown-instance');
  });
});

describe('CredentialStore cached readers', () => {
  it('answer only what is cached and fresh, never a cached "not found"', async () => {
    let now = 0;
    const db = fakeRepo();
    const store = new CredentialStore(db.repo as unknown as CredentialLookupRepository, TTL_MS, pino({ level: 'silent' }), () => now);
    expect(store.cachedInstance(INSTANCE)).toBeUndefined();
    expect(store.cachedGroupExists(INSTANCE, 'GID_unit')).toBeUndefined();
    expect(store.cachedParentTopics(INSTANCE)).toBeUndefined();
    await store.instance(INSTANCE);
    await store.groupExists(INSTANCE, 'GID_unit');
    await store.groupExists(INSTANCE, 'GID_none');
    await store.accessKey(INSTANCE, 'LTAIunknown');
    await store.loadParentTopics(INSTANCE);
    expect(store.cachedInstance(INSTANCE)).toEqual({ id: INSTANCE, anonymous: false });
    expect(store.cachedGroupExists(INSTANCE, 'GID_unit')).toBe(true);
    expect(store.cachedGroupExists(INSTANCE, 'GID_none')).toBeUndefined();
    expect(store.cachedAccessKey(INSTANCE, 'LTAIunknown')).toBeUndefined();
    expect([...store.cachedParentTopics(INSTANCE)!.names]).toEqual(['unit']);
    store.invalidateInstance(INSTANCE);
    expect(store.cachedInstance(INSTANCE)).toBeUndefined();
    expect(store.cachedGroupExists(INSTANCE, 'GID_unit')).toBeUndefined();
    await store.instance(INSTANCE);
    now += TTL_MS;
    expect(store.cachedInstance(INSTANCE)).toBeUndefined();
  });
});
