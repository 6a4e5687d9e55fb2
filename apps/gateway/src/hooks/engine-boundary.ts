import type {
  AuthenticateHandler,
  AuthorizeForwardHandler,
  AuthorizePublishHandler,
  AuthorizeSubscribeHandler,
  Client,
  PreConnectHandler,
} from 'aedes';
import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { DisconnectReason } from '../gateway.ports.js';
import type { ConnectionState } from '../session/connection-state.js';

/** Where FleetMQ code meets the engine (aedes, mqtt-packet, the socket servers); a metric label. */
export const BOUNDARIES = [
  'listener',
  'parser',
  'pre-connect',
  'authenticate',
  'authorize-publish',
  'authorize-subscribe',
  'authorize-forward',
  'broker-event',
  /** FleetMQ's own timers (token expiry, backlog watch): outside every aedes call. */
  'timer',
  /** Commands from the control bridge (kicks, credential re-checks), run by the Kafka consumer. */
  'control',
] as const;
export type Boundary = (typeof BOUNDARIES)[number];

/**
 * Keeps an exception thrown while handling one connection inside that connection: it is
 * counted (fleetmq_gateway_internal_errors_total{where}), logged (rate-limited, with the
 * stack) and the connection is closed; the process and every other client go on.
 *
 * Each hook aedes calls, each broker event listener and each listener callback is wrapped
 * once here; the parser is wrapped by the packet guards (ConnectionState.crashed). No
 * process-wide `uncaughtException` handler: after an unknown throw elsewhere the process
 * state is unknown, and ending it is right.
 *
 * A hook that threw may or may not have called back already. The wrapper calls back with
 * the error after closing the connection: aedes then unwinds that packet's work (a will is
 * forgotten, a SUBSCRIBE ends) instead of holding it forever; a second callback can only
 * reach a connection that is already closed.
 */
export class EngineBoundary {
  constructor(
    private readonly states: WeakMap<Client, ConnectionState>,
    private readonly metrics: GatewayMetrics,
    private readonly log: RateLimitedLog,
  ) {}

  /** Reports `err`, thrown while handling `client`'s connection (if known), and closes that connection. */
  contain(where: Boundary, client: Client | null | undefined, err: unknown): void {
    this.metrics.internalErrors.labels(where).inc();
    const state = client == null ? undefined : this.states.get(client);
    this.log.error(
      where,
      { where, err, clientId: state?.ctx?.clientId ?? state?.connect?.clientId, instanceId: state?.ctx?.instanceId, address: state?.remoteAddress },
      'internal error while handling a connection: connection closed',
    );
    if (client == null) return;
    try {
      if (state !== undefined) state.close('error');
      else client.close();
    } catch (closeErr) {
      // Closing ran FleetMQ or aedes code again (the will): make sure the socket goes.
      this.metrics.internalErrors.labels(where).inc();
      this.log.error(`${where}|close`, { where, err: closeErr }, 'internal error while closing a connection');
      destroySocket(client);
    }
  }

  /**
   * Closes a connection from FleetMQ code that runs outside any aedes call (a timer, a Kafka
   * consumer handler). Closing runs the will through FleetMQ's hooks and aedes: a throw there
   * is contained like any other and never reaches the timer or the consumer.
   */
  close(where: Boundary, state: ConnectionState, reason: DisconnectReason): void {
    try {
      state.close(reason);
    } catch (err) {
      this.contain(where, state.client, err);
    }
  }

  preConnect(hook: PreConnectHandler): PreConnectHandler {
    return (client, packet, callback) => {
      try {
        hook(client, packet, callback);
      } catch (err) {
        this.contain('pre-connect', client, err);
        this.callBack(() => callback(asError(err), false));
      }
    };
  }

  authenticate(hook: AuthenticateHandler): AuthenticateHandler {
    return (client, username, password, done) => {
      try {
        hook(client, username, password, done);
      } catch (err) {
        this.contain('authenticate', client, err);
        this.callBack(() => done(Object.assign(asError(err), { returnCode: 3 as const }), false));
      }
    };
  }

  authorizePublish(hook: AuthorizePublishHandler): AuthorizePublishHandler {
    return (client, packet, callback) => {
      try {
        hook(client, packet, callback);
      } catch (err) {
        this.contain('authorize-publish', client, err);
        this.callBack(() => callback(asError(err)));
      }
    };
  }

  authorizeSubscribe(hook: AuthorizeSubscribeHandler): AuthorizeSubscribeHandler {
    return (client, sub, callback) => {
      try {
        hook(client, sub, callback);
      } catch (err) {
        this.contain('authorize-subscribe', client, err);
        this.callBack(() => callback(asError(err), null));
      }
    };
  }

  authorizeForward(hook: AuthorizeForwardHandler): AuthorizeForwardHandler {
    return (client, packet) => {
      try {
        return hook(client, packet);
      } catch (err) {
        // The delivery to this subscriber is dropped; the publisher is not affected.
        this.contain('authorize-forward', client, err);
        return null;
      }
    };
  }

  /** A broker event listener that cannot throw into aedes; argument `clientAt` is the connection to close. */
  listener<A extends unknown[]>(clientAt: 0 | 1, listener: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        listener(...args);
      } catch (err) {
        this.contain('broker-event', args[clientAt] as Client | undefined, err);
      }
    };
  }

  /** aedes code run by a callback after the hook threw: once contained, a second throw is only counted. */
  private callBack(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.metrics.internalErrors.labels('broker-event').inc();
      this.log.error('callback', { where: 'callback', err }, 'internal error in the engine after a contained error');
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function destroySocket(client: Client): void {
  try {
    client.conn.destroy();
  } catch {
    // Nothing more can be done for this socket.
  }
}
