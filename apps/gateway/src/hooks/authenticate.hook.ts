import type { AuthenticateError, AuthenticateHandler, PreConnectHandler } from 'aedes';
import { tokenExpiry, type AclDecision } from '#auth';
import { validateTopicName } from '#domain';
import type { Authenticated } from '../auth/authenticator.js';
import { ConnectRefused, type RefusalCode, type RefusalReason } from '../auth/connect-refused.js';
import type { ClientContext, CredentialRef } from '../gateway.ports.js';
import type { ConnectionState } from '../session/connection-state.js';
import { internalClientId } from '../tenancy/namespace.js';
import { decidePublish } from './authorize-publish.hook.js';
import type { HookDeps } from './hook-deps.js';

const INVALID_WILL_TOPIC: AclDecision = Object.freeze({ allowed: false, reason: 'invalid-topic' });
// setTimeout fires at once for delays above 2^31-1 ms; long expiries are re-armed instead.
const MAX_TIMER_MS = 2_147_483_647;
/** Shared frozen credentials kept (one per access key); cleared whole when full, they are only an allocation saving. */
const MAX_SHARED_CREDENTIALS = 10_000;

/** Captures what authenticate needs from CONNECT but aedes does not pass it (raw client ID, clean flag, will). */
export function createPreConnectHook(deps: HookDeps): PreConnectHandler {
  return (client, packet, callback) => {
    const state = deps.states.get(client);
    if (state !== undefined) {
      state.connect = {
        clientId: packet.clientId ?? '',
        cleanSession: packet.clean !== false,
        protocolVersion: packet.protocolVersion ?? 4,
        will: packet.will,
      };
    }
    // Only a persistent session has subscriptions before its CONNACK (restored by aedes), so only
    // its connection pays for the held deliveries; a clean one keeps no closure of its own.
    if (packet.clean === false) deps.holdDeliveriesUntilConnack(client);
    callback(null, true);
  };
}

export function createAuthenticateHook(deps: HookDeps): AuthenticateHandler {
  const refuse = (code: RefusalCode, reason: RefusalReason): AuthenticateError =>
    Object.assign(new Error(reason), { returnCode: code }) as AuthenticateError;

  return (client, username, password, done) => {
    const state = deps.states.get(client);
    if (state?.connect === undefined) return done(refuse(5, 'internal-error'), false);
    const address = state.remoteAddress;
    const connect = state.connect;
    const blocked = deps.limiter.blocked(connect.clientId, address);
    if (blocked !== null) {
      deps.metrics.authFailures.labels('5', 'rate-limited').inc();
      deps.refusals.connectBlocked(blocked, connect.clientId, address);
      return done(refuse(5, 'rate-limited'), false);
    }
    deps.authenticator
      .authenticate({
        clientId: connect.clientId,
        generatedClientId: client.id,
        cleanSession: connect.cleanSession,
        username: username ?? undefined,
        password: password ?? undefined,
      })
      .then(
        (auth) => {
          // Settled later, outside aedes' call: a throw here (or in aedes, called back from
          // here) must close this connection, not become an unhandled rejection.
          try {
            // Its instance was deleted while the lookups ran: as if it had been unknown.
            if (deps.store.instanceDeleted(auth.instanceId)) {
              deps.metrics.authFailures.labels('5', 'unknown-instance').inc();
              deps.logger.warn({ address, clientId: connect.clientId, mode: modeOf(username), code: 5, reason: 'unknown-instance' }, 'connect refused');
              return done(refuse(5, 'unknown-instance'), false);
            }
            deps.limiter.recordSuccess(connect.clientId, address);
            if (!willAllowed(deps, state, auth)) return done(refuse(5, 'will-not-authorized'), false);
            accept(deps, state, auth);
            done(null, true);
          } catch (err) {
            deps.boundary.contain('authenticate', client, err);
          }
        },
        (err: unknown) => {
          try {
            const refused = err instanceof ConnectRefused ? err : new ConnectRefused(3, 'internal-error');
            // Server-side trouble (code 3) is not the client's failure: it must not lock anyone out.
            if (refused.returnCode !== 3) deps.limiter.recordFailure(connect.clientId, address);
            deps.metrics.authFailures.labels(String(refused.returnCode), refused.reason).inc();
            const log = { address, clientId: connect.clientId, mode: modeOf(username), code: refused.returnCode, reason: refused.reason };
            if (refused.returnCode === 3) deps.logger.error({ ...log, err: (refused as { cause?: unknown }).cause ?? err }, 'connect refused: server unavailable');
            else deps.logger.warn(log, 'connect refused');
            done(refuse(refused.returnCode, refused.reason), false);
          } catch (thrown) {
            deps.boundary.contain('authenticate', client, thrown);
          }
        },
      );
  };
}

/**
 * A well-formed will whose topic the client may not publish follows FLEETMQ_DENY_ACTION:
 * `ignore` accepts the connection without the will, `disconnect` refuses it (CONNACK 5).
 * Either way it is counted and logged. (A malformed will never gets here: packet-guards.ts.)
 */
function willAllowed(deps: HookDeps, state: ConnectionState, auth: Authenticated): boolean {
  const will = state.connect?.will;
  if (will === undefined) return true;
  // The packet guards refuse an invalid will topic before this; without them (engine fallback) it is refused here.
  const decision = deps.guardsInstalled || validateTopicName(will.topic, deps.config.limits.maxTopicLength) === null
    ? decidePublish(deps, auth.identity, auth.parentTopics, auth.instanceId, will.topic)
    : INVALID_WILL_TOPIC;
  if (decision.allowed) return true;
  const action = deps.config.denyAction;
  deps.metrics.publishDenied.labels(decision.reason).inc();
  deps.refusals.report('will-denied', decision.reason, state, { topic: will.topic, action, instanceId: auth.instanceId, clientId: auth.clientId });
  if (action === 'disconnect') {
    deps.metrics.authFailures.labels('5', 'will-not-authorized').inc();
    return false;
  }
  // aedes stores `_will` as the client's will after authenticate calls back.
  state.client._will = null;
  state.connect!.will = undefined;
  return true;
}

/** Serial of the connections accepted in this process: unique per node even with several gateways in one process. */
let connectionSerial = 0;

function accept(deps: HookDeps, state: ConnectionState, auth: Authenticated): void {
  const connect = state.connect!;
  const ns = deps.namespace(auth.instanceId);
  const ctx: ClientContext = Object.freeze({
    instanceId: auth.instanceId,
    clientId: auth.clientId,
    identity: auth.identity,
    credential: sharedCredential(auth.credential),
    remoteAddress: state.remoteAddress,
    connectedAt: deps.clock(),
    node: deps.config.nodeId,
    serial: ++connectionSerial,
    cleanSession: connect.cleanSession,
    protocolVersion: connect.protocolVersion,
    transport: state.transport,
  });
  state.ns = ns;
  state.ctx = ctx;
  state.parentTopics = auth.parentTopics;
  // Only the will is read after this (authorize-publish.hook.ts tells it from a PUBLISH).
  if (connect.will === undefined) state.connect = undefined;
  // aedes keys sessions, wills and takeover by client.id: namespacing it keeps instances apart.
  state.client.id = internalClientId(auth.instanceId, auth.clientId);
  // The publish gate is made on the first PUBLISH (ConnectionState.gate).
  const pending = state.pendingUnsubscribes;
  if (pending !== undefined) {
    for (const packet of pending) packet.unsubscriptions = packet.unsubscriptions.map((t) => ns.wrap(t));
    state.pendingUnsubscribes = undefined;
  }
  const expiresAt = tokenExpiry(auth.identity);
  if (expiresAt !== undefined) scheduleExpiry(deps, state, expiresAt);
}

// Credentials without tokens are the same for every client of a key: one frozen object each.
const sharedCredentials = new Map<string, CredentialRef>();

function sharedCredential(credential: CredentialRef): CredentialRef {
  if (credential.tokenHashes.length > 0 || (credential.mode !== 'anonymous' && credential.mode !== 'signature')) return credential;
  const key = `${credential.mode}|${credential.accessKeyId ?? ''}`;
  let shared = sharedCredentials.get(key);
  if (shared === undefined) {
    if (sharedCredentials.size >= MAX_SHARED_CREDENTIALS) sharedCredentials.clear();
    shared = Object.freeze({ ...credential, tokenHashes: Object.freeze([]) as readonly string[] });
    sharedCredentials.set(key, shared);
  }
  return shared;
}

function scheduleExpiry(deps: HookDeps, state: ConnectionState, expiresAt: number): void {
  const delay = Math.max(0, expiresAt - deps.clock());
  state.expiryTimer = setTimeout(() => {
    state.expiryTimer = undefined;
    // Closed before aedes registered it: no 'clientDisconnect' disposed this timer.
    if (state.client.closed) return;
    // A timer callback is outside every aedes call: closing (the will runs) must not throw out of it.
    if (deps.clock() >= expiresAt) deps.boundary.close('timer', state, 'auth-expired');
    else scheduleExpiry(deps, state, expiresAt);
  }, Math.min(delay, MAX_TIMER_MS));
  state.expiryTimer.unref();
}

/** The auth mode word for logs; never the rest of the username, never the password. */
function modeOf(username: string | undefined | null): string {
  if (username === undefined || username === null || username === '') return 'anonymous';
  const bar = username.indexOf('|');
  return bar > 0 && bar <= 16 ? username.slice(0, bar) : 'malformed';
}
