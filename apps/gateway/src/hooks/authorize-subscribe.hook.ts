import type { AuthorizeSubscribeHandler } from 'aedes';
import { authorizeSubscribe } from '#auth';
import { validateTopicFilter } from '#domain';
import type { HookDeps } from './hook-deps.js';

const NOT_AUTHENTICATED = new Error('subscribe from an unauthenticated client');

/**
 * Checks each filter of a SUBSCRIBE against the ACL and moves it into the instance's
 * namespace. A refused filter answers null, which aedes turns into SUBACK 0x80 for that
 * filter only [MQTT-3.9.3]; the others of the packet are still granted.
 *
 * aedes also calls this hook when it restores a persistent session's stored subscriptions,
 * before CONNACK; those are already namespaced and are checked again with today's rights.
 * A client's own SUBSCRIBE is handled only after CONNACK was written (aedes queues packets
 * until then), so `connackSent` tells the two apart.
 */
export function createAuthorizeSubscribeHook(deps: HookDeps): AuthorizeSubscribeHandler {
  const maxTopicLength = deps.config.limits.maxTopicLength;
  return (client, sub, callback) => {
    const state = deps.states.get(client);
    if (state?.ctx === undefined || state.ns === undefined) return callback(NOT_AUTHENTICATED);
    let filter: string | null = sub.topic;
    if (!state.client.connackSent) {
      filter = state.ns.unwrap(sub.topic);
      if (filter === null) return callback(null, null);
    }
    let reason: string | null = validateTopicFilter(filter, maxTopicLength) === null ? null : 'invalid-filter';
    if (reason === null) {
      const decision = authorizeSubscribe(
        state.ctx.identity,
        filter,
        deps.store.parentTopics(state.parentTopics!, state.ctx.instanceId),
        deps.clock(),
      );
      if (!decision.allowed) reason = decision.reason;
    }
    if (reason !== null) {
      deps.metrics.subscribeDenied.labels(reason).inc();
      deps.refusals.report('subscribe-denied', reason, state, { filter });
      return callback(null, null);
    }
    sub.topic = state.ns.wrap(filter);
    callback(null, sub);
  };
}
