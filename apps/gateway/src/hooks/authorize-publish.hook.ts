import type { AuthorizePublishHandler, PublishPacket } from 'aedes';
import { authorizeCheckedPublish, type AclDecision, type Identity } from '#auth';
import { parseP2PTopic, validateTopicName } from '#domain';
import type { ParentTopics } from '../auth/credential-store.js';
import type { QoS, UplinkPublish } from '../gateway.ports.js';
import { P2P_SINK_TOPIC } from '../tenancy/namespace.js';
import type { HookDeps } from './hook-deps.js';

const NOT_AUTHENTICATED = new Error('publish from an unauthenticated client');
const CLOSED = new Error('publish after the connection closed');
const DENIED = new Error('publish not authorized');
const INVALID_TOPIC = new Error('invalid topic name');
const DOLLAR = 0x24;
const RESERVED: AclDecision = Object.freeze({ allowed: false, reason: 'reserved-topic' });
const NOTHING = Buffer.alloc(0);
// Outside every namespace, so no subscription (not even `#`) matches it: where dropped packets go.
const DROPPED_TOPIC = P2P_SINK_TOPIC;

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
 * A denied PUBLISH follows FLEETMQ_DENY_ACTION, both allowed by [MQTT-3.3.5-2]: `ignore`
 * (default) acknowledges it per QoS and drops it, `disconnect` closes the connection (aedes'
 * behaviour when this hook fails). Closing pushed a misconfigured device into a reconnect
 * loop that repeated the same PUBLISH forever; dropping keeps nothing of the packet either
 * way (no Kafka record, no delivery, no retained copy). Every denial is counted and logged
 * (rate-limited) by the refusal reporter. A denied will is dropped whatever the action: its
 * connection is gone already.
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
        deps.refusals.violation('invalid-topic', state);
      }
      return callback(INVALID_TOPIC);
    }
    const decision = decidePublish(deps, ctx.identity, state.parentTopics!, ctx.instanceId, topic);
    if (!decision.allowed) {
      metrics.publishDenied.labels(decision.reason).inc();
      deps.refusals.report(isWill ? 'will-denied' : 'publish-denied', decision.reason, state, { topic, action: deps.config.denyAction });
      if (isWill) return callback(DENIED);
      if (deps.config.denyAction === 'disconnect') {
        state.markClosing('protocol-violation');
        return callback(DENIED);
      }
      // Through the gate like any PUBLISH: the rate limit holds, and its PUBACK is not written
      // ahead of earlier PUBLISHes still waiting there [MQTT-4.6.0-2].
      const gate = state.gate;
      if (gate === undefined) return acknowledgeAndDrop(packet, callback);
      return gate.submit(() => {
        gate.release();
        acknowledgeAndDrop(packet, callback);
      });
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

    // Wills bypass the gate: the connection is gone and nothing else is coming.
    const gate = isWill ? undefined : state.gate;
    // Produce, then acknowledge: the forwarder calls back once Kafka has the record, and aedes
    // writes the PUBACK/PUBREC and delivers when this calls it back.
    const produce = (): void => {
      deps.forwarder().forward(ctx, uplink, (err) => {
        // Runs later, from the forwarder (Kafka acknowledgements): a throw here must end this
        // connection, not the forwarder's batch or the process.
        try {
          gate?.release();
          if (err) {
            state.markClosing('error');
            return callback(err);
          }
          if (p2p !== null) {
            deps.deliverP2P({ instanceId: ctx.instanceId, targetClientId: p2p.targetClientId, topic, payload: uplink.payload, qos });
            // Delivered once, above; aedes still "publishes" it (for the QoS exchange) to a
            // topic no subscription can match, with nothing in it.
            (packet as PublishPacket).topic = P2P_SINK_TOPIC;
            packet.retain = false;
            packet.payload = NOTHING;
          } else {
            packet.topic = state.ns!.wrap(topic);
          }
          callback(null);
        } catch (thrown) {
          deps.boundary.contain('authorize-publish', state.client, thrown);
        }
      });
    };
    if (gate === undefined) produce();
    else gate.submit(produce);
  };
}

/**
 * Whether the client may publish to `topic`. '$' topics are reserved; refusing them for
 * anonymous clients too keeps `#` subscribers from seeing them once the namespace prefix is
 * stripped [MQTT-4.7.2-1]. Also used for the will at CONNECT (authenticate.hook.ts). `topic`
 * must be a valid topic name (checked once before: the PUBLISH above, the will by the packet
 * guards); '$' is checked here, once, so the ACL is asked without either check.
 */
export function decidePublish(deps: HookDeps, identity: Identity, parentTopics: ParentTopics, instanceId: string, topic: string): AclDecision {
  if (topic.charCodeAt(0) === DOLLAR) return RESERVED;
  return authorizeCheckedPublish(identity, topic, deps.store.parentTopics(parentTopics, instanceId), deps.clock());
}

/**
 * FLEETMQ_DENY_ACTION=ignore: aedes goes on as for an allowed PUBLISH, so it writes the
 * PUBACK (QoS 1) or runs the PUBREC/PUBREL/PUBCOMP exchange (QoS 2), but the packet now goes
 * to a topic no subscription can match, is not retained, and carries no payload (aedes keeps
 * a QoS 2 packet until PUBREL).
 */
function acknowledgeAndDrop(packet: PublishPacket, callback: (error?: Error | null) => void): void {
  packet.topic = DROPPED_TOPIC;
  packet.retain = false;
  packet.payload = NOTHING;
  callback(null);
}

