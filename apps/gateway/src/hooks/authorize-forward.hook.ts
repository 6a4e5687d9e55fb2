import type { AedesPublishPacket, AuthorizeForwardHandler } from 'aedes';
import { authorizeReceive } from '#auth';
import type { ConnectionState } from '../session/connection-state.js';
import type { HookDeps } from './hook-deps.js';

const BACKLOG_CHECK_MS = 50;
/** How often every connection is looked at for a backed-up socket (gateway.ts runs the sweep): an O(connections) walk, so no more often than a stalled reader needs noticing. */
export const BACKLOG_SWEEP_MS = 500;
/** A backed-up socket whose outgoing buffer has not shrunk for this long belongs to a stalled reader. */
export const STALLED_WRITE_MS = 5_000;

/**
 * Runs before every write of a PUBLISH to a client (live, retained, offline queue, P2P). Each
 * delivery is authorized against the identity of the connection that receives it: a session's
 * offline queue may be taken over (same client ID, cleanSession=false) by a credential that may
 * not subscribe, and a null here drops the message from that queue. The
 * packet is always a per-delivery copy made by aedes, so its topic is rewritten in place
 * back to the client's view; that also covers the offline-queue path, where aedes writes
 * the packet it passed here rather than the one returned.
 */
export function createAuthorizeForwardHook(deps: HookDeps): AuthorizeForwardHandler {
  const maxOutgoing = deps.config.limits.maxOutgoingBufferBytes;
  return (client, packet): AedesPublishPacket | null => {
    const state = deps.states.get(client);
    if (state?.ns === undefined) return null;
    const internal = packet.topic;
    const topic = state.ns.unwrap(internal);
    if (topic === null) return null;
    if (!authorizeReceive(state.ctx!.identity, topic, deps.clock()).allowed) {
      deps.metrics.forwardDenied.inc();
      return null;
    }
    // A subscriber that does not read: disconnect it rather than queue without bound.
    const conn = client.conn as { writableLength?: number };
    const queued = conn.writableLength ?? 0;
    if (queued > maxOutgoing) {
      if (!state.client.closed) {
        deps.metrics.slowConsumers.inc();
        state.close('error');
      }
      return null;
    }
    // aedes downgrades to the subscription's QoS by looking the topic up among the client's
    // filters; with the prefix stripped that lookup would miss, so do it here.
    const sub = state.client.subscriptions[internal];
    if (sub !== undefined && sub.qos < packet.qos) packet.qos = sub.qos as 0 | 1 | 2;
    packet.topic = topic;
    return packet;
  };
}

/** Starts watching every connection whose socket has bytes waiting (called every BACKLOG_SWEEP_MS). */
export function sweepBacklogs(deps: HookDeps): void {
  for (const state of deps.registry.states()) {
    if (state.backlogTimer !== undefined) continue;
    const conn = state.client.conn as { writableLength?: number };
    if ((conn.writableLength ?? 0) > 0) watchBacklog(deps, state, conn);
  }
}

/**
 * aedes holds each delivery until the subscriber's socket drains, and a PUBLISH is done only
 * when every subscriber took it: one stalled reader therefore stops the publishers' flow to
 * every subscriber (until aedes' drainTimeout, 60 s) long before its buffer reaches the
 * byte limit, and no further forward comes to check it. So a backed-up connection (found by
 * sweepBacklogs) is watched
 * until it drains: over the byte limit, or no progress for STALLED_WRITE_MS, it is closed.
 */
function watchBacklog(deps: HookDeps, state: ConnectionState, conn: { writableLength?: number }): void {
  const maxOutgoing = deps.config.limits.maxOutgoingBufferBytes;
  let last = conn.writableLength ?? 0;
  let progressAt = deps.clock();
  state.backlogTimer = setInterval(() => {
    const queued = conn.writableLength ?? 0;
    const now = deps.clock();
    if (queued < last) progressAt = now;
    last = queued;
    if (queued > 0 && !state.client.closed) {
      if (queued <= maxOutgoing && now - progressAt < STALLED_WRITE_MS) return;
      // A timer is outside every aedes call: closing (the will runs) goes through the engine boundary.
      deps.metrics.slowConsumers.inc();
      deps.boundary.close('timer', state, 'error');
    }
    clearInterval(state.backlogTimer);
    state.backlogTimer = undefined;
  }, BACKLOG_CHECK_MS);
  state.backlogTimer.unref();
}
