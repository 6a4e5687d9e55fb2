import type { AedesPublishPacket, AuthorizeForwardHandler } from 'aedes';
import { authorizeReceive } from '#auth';
import type { HookDeps } from './hook-deps.js';

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
    deps.backlogs.forwarded(state);
    return packet;
  };
}
