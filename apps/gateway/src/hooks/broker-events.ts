import type { Aedes, Client, ConnackPacket, Subscription } from 'aedes';
import type { AedesAdapter, AedesClientInternals } from '../engine/aedes-adapter.js';
import type { DisconnectReason, GrantedSubscription, QoS } from '../gateway.ports.js';
import type { HookDeps } from './hook-deps.js';

// Errors aedes' handlers raise for packets that break the protocol (as opposed to socket trouble).
const PROTOCOL_ERRORS = [
  'Invalid protocol',
  'not allowed in PUBLISH',
  'impossible to',
  'is only allowed in',
  'too many levels',
  'maxInflightInbound',
  'Client queue limit',
  'empty topic',
];

function classify(err: Error): DisconnectReason {
  if (err.message === 'keep alive timeout') return 'keepalive-timeout';
  for (const text of PROTOCOL_ERRORS) if (err.message.includes(text)) return 'protocol-violation';
  return 'error';
}

/** Marks the connection a takeover replaces, so its 'disconnected' says why (same node or another). */
export function markTakeover({ states }: Pick<HookDeps, 'states'>): (old: Client) => void {
  return (old) => states.get(old)?.markClosing('takeover');
}

/**
 * Turns aedes' lifecycle events into the gateway's typed events, registry entries and metrics.
 * aedes emits them synchronously from its own code: each listener is wrapped at the engine
 * boundary, so a throw closes that client instead of unwinding through aedes.
 */
export function attachBrokerEvents(broker: Aedes, aedes: AedesAdapter, deps: HookDeps): void {
  const { states, registry, events, metrics, logger, boundary } = deps;

  // Takeover [MQTT-3.1.4-2]: aedes closes the old connection inside registerClient; mark it
  // first so its 'disconnected' says why.
  aedes.watchTakeovers(broker, markTakeover(deps));

  const announce = (client: Client): void => {
    const state = states.get(client);
    if (state?.ctx === undefined || client.closed) return;
    // Accepted, then its instance was deleted before it got here: dropInstance could not see it.
    if (deps.store.instanceDeleted(state.ctx.instanceId)) {
      state.close('auth-expired');
      return;
    }
    registry.add(state);
    state.announced = true;
    metrics.connections.inc();
    events.emit('connected', state.ctx);
  };

  // A connection is announced when its CONNACK 0 is written, not at aedes' 'clientReady': aedes
  // writes CONNACK before it reads the session's queue (Redis round trips) and handles the
  // client's packets from then on, so a DISCONNECT that came meanwhile closed the connection
  // before 'clientReady', and it was neither announced nor reported gone (nor offline-persistent
  // in the presence directory).
  broker.on(
    'connackSent',
    boundary.listener(1, (packet: ConnackPacket, client: Client) => {
      metrics.connects.labels(String(packet.returnCode ?? 0)).inc();
      if ((packet.returnCode ?? 0) !== 0) return;
      aedes.releaseDeliveries(client);
      announce(client);
    }),
  );

  broker.on('clientDisconnect', boundary.listener(0, (client: Client) => {
    const state = states.get(client);
    if (state === undefined) return;
    state.dispose();
    if (!state.announced || state.ctx === undefined) return;
    state.announced = false;
    registry.remove(state);
    metrics.connections.dec();
    const reason = state.closeReason ?? ((client as AedesClientInternals)._disconnected ? 'normal' : 'error');
    metrics.disconnects.labels(reason).inc();
    events.emit('disconnected', state.ctx, reason);
  }));

  broker.on('keepaliveTimeout', boundary.listener(0, (client: Client) => {
    states.get(client)?.markClosing('keepalive-timeout');
  }));

  const onError = boundary.listener(0, (client: Client, err: Error): void => {
    const state = states.get(client);
    state?.markClosing(classify(err));
    logger.debug({ err: err.message, address: state?.remoteAddress, clientId: state?.ctx?.clientId }, 'client connection error');
  });
  broker.on('clientError', onError);
  broker.on('connectionError', onError);

  broker.on('subscribe', boundary.listener(1, (subscriptions: Subscription[], client: Client) => {
    const state = states.get(client);
    if (state?.ctx === undefined || state.ns === undefined || !events.hasListeners('subscribed')) return;
    const granted: GrantedSubscription[] = [];
    for (const sub of subscriptions) {
      if (sub.qos > 2) continue; // 0x80: refused
      const topic = state.ns.unwrap(sub.topic);
      if (topic !== null) granted.push({ topic, qos: sub.qos as QoS });
    }
    if (granted.length > 0) events.emit('subscribed', state.ctx, granted);
  }));

  broker.on('unsubscribe', boundary.listener(1, (filters: string[], client: Client) => {
    const state = states.get(client);
    // aedes also "unsubscribes" everything when a connection closes: that is a disconnect, not an UNSUBSCRIBE.
    if (state?.ctx === undefined || state.ns === undefined || client.closed || !events.hasListeners('unsubscribed')) return;
    const topics: string[] = [];
    for (const f of filters) {
      const topic = state.ns.unwrap(f);
      if (topic !== null) topics.push(topic);
    }
    if (topics.length > 0) events.emit('unsubscribed', state.ctx, topics);
  }));
}
