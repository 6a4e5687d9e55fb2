import type { AuthorizePublishHandler, PublishPacket } from 'aedes';
import { authorizePublish } from '#auth';
import { parseP2PTopic, validateTopicName } from '#domain';
import type { QoS, UplinkPublish } from '../gateway.ports.js';
import type { ConnectionState } from '../session/connection-state.js';
import { P2P_SINK_TOPIC } from '../tenancy/namespace.js';
import type { HookDeps } from './hook-deps.js';

const NOT_AUTHENTICATED = new Error('publish from an unauthenticated client');
const CLOSED = new Error('publish after the connection closed');
const DENIED = new Error('publish not authorized');
const INVALID_TOPIC = new Error('invalid topic name');
const DOLLAR = 0x24;

/**
 * Where aedes 1.2 calls this (checked in its source): lib/handlers/publish.js runs
 * [authorizePublish, enqueuePublish] in series, and enqueuePublish writes the QoS 1 PUBACK
 * before broker.publish, the QoS 2 PUBREC after it; so nothing is acknowledged or delivered
 * until this hook calls back. Wills pass through it too: lib/client.js close() calls
 * authorizePublish(client, will) before broker.publish(will) (and aedes.js _clearWills, for
 * wills of dead brokers, with a client that may be null: refused here, this node cannot
 * tell who it was).
 *
 * Runs for every PUBLISH and for the will, in packet order. Order of work: cheap checks, ACL, then the forwarder (Kafka); only when the forwarder
 * calls back is the topic moved into the instance's namespace and aedes told to go on, which
 * makes aedes write the PUBACK/PUBREC and deliver to subscribers.
 *
 * A denied PUBLISH closes the connection (aedes' behaviour when this hook fails), which
 * MQTT 3.1.1 allows [MQTT-3.3.5-2]. FleetMQ keeps it rather than drop-and-acknowledge: the
 * device learns at once that its topic is wrong, nothing of the packet is kept (no retained
 * copy, no offline queue), and a client flooding forbidden topics is cut off after one packet.
 */
export function createAuthorizePublishHook(deps: HookDeps): AuthorizePublishHandler {
  const { metrics } = deps;
  const maxTopicLength = deps.config.limits.maxTopicLength;

  return (client, packet, callback) => {
    const state = client === null ? undefined : deps.states.get(client);
    // A will of a client this node never authenticated (e.g. aedes' sweep of another broker's wills).
    if (state?.ctx === undefined || state.ns === undefined) return callback(NOT_AUTHENTICATED);
    const isWill = packet === state.connect?.will;
    if (state.client.closed && !isWill) return callback(CLOSED);
    const ctx = state.ctx;
    const topic = packet.topic;

    if (validateTopicName(topic, maxTopicLength) !== null) {
      if (!isWill) {
        state.markClosing('protocol-violation');
        metrics.protocolViolations.labels('invalid-topic').inc();
      }
      return callback(INVALID_TOPIC);
    }
    // '$' topics are reserved; refusing them for anonymous clients too keeps `#` subscribers
    // from seeing them once the namespace prefix is stripped [MQTT-4.7.2-1].
    const decision =
      topic.charCodeAt(0) === DOLLAR
        ? { allowed: false as const, reason: 'reserved-topic' }
        : authorizePublish(ctx.identity, topic, deps.store.parentTopics(state.parentTopics!, ctx.instanceId), deps.clock());
    if (!decision.allowed) {
      metrics.publishDenied.labels(decision.reason).inc();
      if (!isWill) state.markClosing('protocol-violation');
      return callback(DENIED);
    }

    const qos = packet.qos as QoS;
    // P2P in every instance, the anonymous default one included (docs/DESIGN.md, P2P).
    const p2p = parseP2PTopic(topic);
    const uplink: UplinkPublish = {
      topic,
      payload: packet.payload as Buffer,
      qos,
      // A P2P message is for one client now: never kept as retained.
      retain: p2p === null ? packet.retain : false,
      will: isWill,
      p2pTarget: p2p === null ? undefined : p2p.targetClientId,
    };
    metrics.publishesByQos[qos].inc();

    const forward = (release: () => void): void => {
      deps.forwarder().forward(ctx, uplink, (err) => {
        release();
        if (err) {
          state.markClosing('error');
          return callback(err);
        }
        if (p2p !== null) {
          deps.deliverP2P(ctx.instanceId, p2p.targetClientId, topic, uplink.payload, qos);
          // aedes still "publishes" it: to a topic no subscription can match.
          (packet as PublishPacket).topic = P2P_SINK_TOPIC;
          packet.retain = false;
        } else {
          packet.topic = state.ns!.wrap(topic);
        }
        callback(null);
      });
    };
    // Wills bypass the gate: the connection is gone and nothing else is coming.
    if (isWill || state.gate === undefined) forward(noop);
    else admit(state, forward);
  };
}

function admit(state: ConnectionState, forward: (release: () => void) => void): void {
  const gate = state.gate!;
  gate.submit(() => forward(() => gate.release()));
}

function noop(): void {}
