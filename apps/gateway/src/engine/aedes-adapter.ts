import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '#config';
import { aedesSourceFile, engineVersion, type EngineCheck, type EngineProbe } from './engine-version.js';
import { coalesceTurnWrites } from './turn-write-coalescing.js';

/**
 * Every place FleetMQ reaches into aedes beyond its typed API, in one file: the members it
 * reads (AedesClientInternals, AedesBrokerInternals), the broker ID (brokerIdFor), the P2P writes
 * and offline enqueues numbered apart from the broker's (publishToClient, enqueueOffline) and the
 * five patches it makes. Patches 1–4 touch only FleetMQ's own broker and the clients it creates
 * (instance properties, never a prototype); patch 5 is a source patch, checked here:
 *
 * 1. Takeover marking: `registerClient` of the gateway's broker instance is wrapped, because
 *    aedes closes the old connection of a client ID inside it [MQTT-3.1.4-2] without saying
 *    why; the wrapper lets the gateway mark it 'takeover' first. Across nodes (Redis store)
 *    aedes closes it in its `$SYS/+/new/clients` emitter listener (closeSameClients): a
 *    listener of the same topic added before the broker is made runs first and marks it.
 * 2. Heap slimming of each client, right after `broker.handle()` made it (found with heap
 *    snapshots of idle connections; the connections scenario of `npm run bench` measures it):
 *    - `Object.create(null)` and EventEmitter's `{ __proto__: null }` make V8 dictionary-mode
 *      objects, large even when empty. A client has three (its listener table, its
 *      parser's, `duplicates`); each becomes an object whose prototype is one shared, frozen,
 *      null-prototype object: still no inherited names (`constructor`, `__proto__`) to collide
 *      with keys, but V8 keeps it in fast mode with a shared hidden class. `subscriptions` stays
 *      a dictionary: its keys are per-client topic filters, which would give every client its
 *      own hidden class.
 *    - `_inboundInflight` (a Set used only for inbound QoS 2) is made when first used.
 * 3. Write coalescing: what aedes writes to a client in one event-loop turn leaves its socket
 *    in one write, not one write per packet (turn-write-coalescing.ts; fan-in with one
 *    subscriber made about one writev syscall per message).
 * 4. Nothing before CONNACK [MQTT-3.2.0-1]: aedes subscribes a resuming persistent session's
 *    stored subscriptions before it writes the CONNACK, so a message published meanwhile went
 *    out first and MQTT.js stalled until its connect timeout; a resuming client's deliver0 and
 *    deliverQoS hold their calls until the CONNACK is written or the connection closes.
 *
 * 5. Empty-queue shortcut, the one change that cannot be made on an instance: at every CONNECT
 *    aedes streams the client's offline queue through a stream pipeline (lib/handlers/connect.js
 *    emptyQueue, module-private), which costs an AbortController, a DOMException and three
 *    streams even when the queue is empty; in CPU profiles of a connect storm it was about a
 *    third of the main thread. patches/aedes+1.2.0.patch (applied by patch-package at
 *    `npm install`) makes emptyQueue ask the persistence `outgoingQueueEmpty(client)` first;
 *    bounded-offline-queue.ts answers it. checkAedes reports when the patch is missing.
 *
 * Guarded: `checkAedes()` runs once at gateway start (engines.ts). The patches are applied only when the
 * installed aedes is exactly AEDES_VERSION and a probe client on a throwaway broker has every
 * member listed here; otherwise a warning names the engine, both versions and what is lost.
 * The members FleetMQ only reads are needed either way (the gateway cannot work without them),
 * so a shape mismatch is reported, not hidden. mqtt-packet's parser is patched separately
 * (mqtt-packet-adapter.ts).
 */

/** The aedes version these patches and reads were written for (lib/client.js, aedes.js, lib/handlers/connect.js). */
export const AEDES_VERSION = '1.2.0';

const LOST = 'idle connections use more heap (aedes client tables not slimmed); a connection closed by a takeover is reported as error, not takeover; one socket write per packet; a resuming persistent session can get a PUBLISH before its CONNACK';

/** Members of aedes' Client (lib/client.js) the gateway uses that its typings leave out. */
export interface AedesClientInternals extends Client {
  /** Granted filters by topic: authorize-forward.hook.ts downgrades QoS, the registry lists them. */
  subscriptions: Record<string, { qos: number }>;
  /** CONNACK written: the packet guards and authorize-subscribe tell pre- and post-CONNECT apart. */
  connackSent: boolean;
  /** The client sent DISCONNECT: the disconnect reason is 'normal'. */
  _disconnected: boolean;
  will: unknown;
  /** The CONNECT's will until aedes stores it (after authenticate); null drops it (authenticate.hook.ts). */
  _will: unknown;
}

/** aedes.js members the takeover patch, the offline enqueue and the subscription restore use. */
interface AedesBrokerInternals {
  id: string;
  /** Numbers the packets this broker makes (aedes-packet's brokerCounter). */
  counter: number;
  clients: Record<string, Client>;
  registerClient(client: Client): void;
  persistence: {
    outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void>;
    addSubscriptions(client: Client, subs: StoredSubscription[]): Promise<void>;
  };
}

/** A message for one client's offline queue, in the broker's own (namespaced) topic and client ID space. */
export interface OfflineMessage {
  topic: string;
  payload: Buffer;
  qos: 1 | 2;
}

/** A P2P message written straight to one connected client, in the broker's topic space. */
export interface DirectMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

/**
 * The aedes broker ID for one start of a node. aedes-persistence-redis keys every queued packet
 * by `<brokerId>:<brokerCounter>` (and splits such keys on ':'), and the counter starts again at
 * zero with the process: an ID reused across restarts would overwrite packets still queued from
 * the previous run with other clients' messages. aedes also puts the ID in `$SYS/<id>/...`
 * topics. Hence the node ID without ':', '/', '+' or '#', and a random suffix.
 */
export function brokerIdFor(nodeId: string): string {
  return `${nodeId.replace(/[:/+#]/g, '_')}~${randomBytes(4).toString('hex')}`;
}

/**
 * Numbers for the packets FleetMQ writes itself, apart from the broker's. aedes drops a packet
 * whose brokerCounter is not above the last one the client got under the same brokerId
 * (client.js dedupe: a message matching two of a client's filters arrives once). The broker
 * numbers a publish when it starts and hands it to subscribers only after its persistence
 * steps, ticks later; a P2P write numbered from the same counter in between made the client
 * drop that broadcast as a duplicate. So live P2P writes (numbered and deduplicated in the same
 * call) and offline enqueues (replayed in the order queued) each count under an ID of their own.
 */
class OwnPacketNumbers {
  readonly directId: string;
  readonly queuedId: string;
  direct = 0;
  queued = 0;

  constructor(brokerId: string) {
    this.directId = `${brokerId}.p2p`;
    this.queuedId = `${brokerId}.queued`;
  }
}

const ownNumbers = new WeakMap<Aedes, OwnPacketNumbers>();

function numbersOf(broker: Aedes): OwnPacketNumbers {
  let numbers = ownNumbers.get(broker);
  if (numbers === undefined) ownNumbers.set(broker, (numbers = new OwnPacketNumbers((broker as unknown as AedesBrokerInternals).id)));
  return numbers;
}

/**
 * Writes `message` to `client` of `broker` as aedes writes a subscription's message (its
 * authorizeForward hook, QoS, persistent sessions' outgoing store), numbered apart from the
 * broker's own publishes (OwnPacketNumbers).
 */
export function publishToClient(broker: Aedes, client: Client, message: DirectMessage): void {
  const numbers = numbersOf(broker);
  const packet = ownPacket(numbers.directId, ++numbers.direct, message);
  client.publish(packet as unknown as Parameters<Client['publish']>[0], noop);
}

/**
 * Queues `message` for the offline persistent session `clientId` through the broker's persistence,
 * as aedes queues a QoS 1/2 publish for an offline subscriber: the session gets it, in order, when
 * it reconnects to any node sharing the persistence, and whatever bounds the persistence sets
 * apply. The packet has the shape aedes-packet 4 gives every packet aedes stores (the persistence
 * keys it by brokerId + brokerCounter); never retained.
 */
export function enqueueOffline(broker: Aedes, clientId: string, message: OfflineMessage): Promise<void> {
  const internals = broker as unknown as AedesBrokerInternals;
  const numbers = numbersOf(broker);
  return internals.persistence.outgoingEnqueue({ clientId }, ownPacket(numbers.queuedId, ++numbers.queued, message));
}

/** A PUBLISH in the shape aedes-packet 4 gives every packet, numbered by FleetMQ; never retained. */
function ownPacket(brokerId: string, brokerCounter: number, message: DirectMessage): object {
  return {
    cmd: 'publish',
    brokerId,
    brokerCounter,
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: false,
    dup: false,
    messageId: undefined,
  };
}

function noop(): void {}

/** A subscription as aedes' SUBSCRIBE handler stores it (lib/handlers/subscribe.js storeSubscriptions). */
interface StoredSubscription {
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
}

/** The part of the shared emitter (mqemitter) the cross-node takeover marking uses. */
export interface TakeoverEmitter {
  on(topic: string, listener: (packet: { topic: string; payload: unknown }, done: () => void) => void): unknown;
}

/** Sessions whose subscriptions are stored again at once after a session store reconnect. */
const RESTORE_BATCH = 500;

/** aedes' announcement of a new connection on any node (aedes.js registerClient, closeSameClients). */
const NEW_CLIENTS_TOPIC = '$SYS/+/new/clients';

/** The aedes Client fields the heap slimming replaces. */
interface SlimmableClient {
  _events: object;
  duplicates: Record<string, number>;
  _inboundInflight: IdSet;
  _parser: { _events: object };
}

/** The part of Set aedes uses for `_inboundInflight` (lib/handlers/publish.js, pubrel.js). */
interface IdSet {
  readonly size: number;
  has(id: number): boolean;
  add(id: number): unknown;
  delete(id: number): boolean;
}

export interface AedesCheckOptions {
  logger: Logger;
  /** A client of a throwaway broker (engine-version.ts withProbeClient). */
  probe: EngineProbe;
  /** For tests: the installed version as read from aedes's package.json otherwise. */
  foundVersion?: string;
  /** For tests: aedes' lib/handlers/connect.js as read from the installed aedes otherwise. */
  connectSource?: string;
}

/** The name patch 5 adds to aedes' emptyQueue (patches/aedes+1.2.0.patch). */
const QUEUE_SHORTCUT_MARK = 'outgoingQueueEmpty';
const QUEUE_SHORTCUT_LOST = 'every CONNECT streams the client\'s offline queue through a stream pipeline, empty or not (about a third of a connect\'s CPU)';

/** What checkAedes decided: the patches to apply. */
export class AedesAdapter {
  /** `queueShortcut`: patch 5 is in the installed aedes (its emptyQueue asks outgoingQueueEmpty). */
  constructor(readonly state: EngineCheck, readonly queueShortcut = false) {}

  get patched(): boolean {
    return this.state.patched;
  }

  /** Patch 1 on FleetMQ's own broker: `onTakeover(old)` runs before aedes closes the replaced connection. */
  watchTakeovers(broker: Aedes, onTakeover: (old: Client) => void): void {
    if (!this.patched) return;
    const internals = broker as unknown as AedesBrokerInternals;
    const register = internals.registerClient.bind(broker);
    internals.registerClient = (client: Client): void => {
      const old = internals.clients[client.id];
      if (old !== undefined && old !== client) onTakeover(old);
      register(client);
    };
  }

  /**
   * Patch 1 across nodes: call with the shared emitter before `Aedes.createBroker` adds its own
   * closeSameClients listener. mqemitter calls the listeners of one topic in the order they were
   * added, so `onTakeover(old)` runs before aedes starts closing the connection; once aedes runs
   * first, whether the close finishes before a later listener depends on the client's
   * subscriptions (none: it ends synchronously), which made a listener added after it flaky.
   */
  watchRemoteTakeovers(mq: TakeoverEmitter, brokerId: string, broker: () => Aedes | undefined, onTakeover: (old: Client) => void): void {
    if (!this.patched) return;
    mq.on(NEW_CLIENTS_TOPIC, (packet, done) => {
      const current = broker();
      // `$SYS/<brokerId>/new/clients`: this broker's own announcements are local takeovers (watchTakeovers).
      if (current !== undefined && packet.topic.split('/')[1] !== brokerId) {
        const old = (current as unknown as AedesBrokerInternals).clients[String(packet.payload)];
        if (old !== undefined && !old.closed) onTakeover(old);
      }
      done();
    });
  }

  /** True while a connection of `clientId` (aedes' namespaced ID) is open on this node's broker. */
  connectedHere(broker: Aedes, clientId: string): boolean {
    return (broker as unknown as AedesBrokerInternals).clients[clientId] !== undefined;
  }

  /**
   * Stores again, in the broker's persistence, the subscriptions of every persistent session
   * (cleanSession=false) connected to this node, as aedes stored them at SUBSCRIBE; resolves
   * with how many sessions. For a session store that lost its data (a Redis restart without
   * persistence): otherwise such a client would find no subscriptions when it reconnects.
   */
  async restoreSubscriptions(broker: Aedes): Promise<number> {
    const internals = broker as unknown as AedesBrokerInternals;
    const pending: Array<Promise<void>> = [];
    let sessions = 0;
    for (const client of Object.values(internals.clients)) {
      const c = client as AedesClientInternals & { clean: boolean; subscriptions: Record<string, StoredSubscription> };
      if (c.clean || c.closed) continue;
      const subs = Object.entries(c.subscriptions).map(([topic, sub]) => ({ topic, qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl }));
      if (subs.length === 0) continue;
      pending.push(internals.persistence.addSubscriptions(client, subs));
      sessions++;
      // Side by side, not one after another: each also announces itself on the emitter, whose own
      // connection may come back later; the writes to Redis should not wait for that.
      if (pending.length === RESTORE_BATCH) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    return sessions;
  }

  /** Patch 2: call right after `broker.handle()` created the client, before it reads anything. */
  slimClient(client: object): void {
    if (this.patched) slimAedesClient(client);
  }

  /** Patch 3: call right after `broker.handle()` created the client, before anything is written to it. */
  coalesceWrites(client: object): void {
    if (this.patched) coalesceTurnWrites((client as { conn: Writable }).conn);
  }

  /**
   * Patch 4: nothing is delivered to a client before its CONNACK [MQTT-3.2.0-1]. aedes subscribes
   * a resuming persistent session's stored subscriptions again before it writes the CONNACK, so a
   * message published in between was written first, and MQTT.js, which handles nothing before
   * its CONNACK, stalled until its connect timeout. The client's deliver0 and deliverQoS (own
   * members aedes makes per client, taken by every subscription) hold their calls until the
   * CONNACK is written (`releaseDeliveries`, from the 'connackSent' listener) or the connection
   * closes, then run them in order: after a close aedes handles them as for any closed client
   * (a persistent session's QoS 1/2 message stays queued). Call before aedes restores the
   * session's subscriptions (the preConnect hook does, for CONNECTs with cleanSession=false).
   */
  holdDeliveriesUntilConnack(client: object): void {
    if (!this.patched) return;
    const c = client as DeliveringClient;
    const deliver0 = c.deliver0;
    const deliverQoS = c.deliverQoS;
    const hold = (deliver: Deliver): Deliver =>
      function heldUntilConnack(packet, cb) {
        if (c.connackSent || c.closed) return deliver(packet, cb);
        let held = heldDeliveries.get(c);
        if (held === undefined) {
          held = [];
          heldDeliveries.set(c, held);
          c.conn.once('close', () => releaseHeldDeliveries(c));
        }
        held.push(deliver, packet, cb);
      };
    c.deliver0 = hold(deliver0);
    c.deliverQoS = hold(deliverQoS);
  }

  /** Runs what patch 4 held for `client` (its CONNACK was written). */
  releaseDeliveries(client: object): void {
    releaseHeldDeliveries(client as DeliveringClient);
  }
}

type Deliver = (packet: unknown, cb: () => void) => void;

/** The members of aedes' Client patch 4 replaces and reads. */
interface DeliveringClient {
  deliver0: Deliver;
  deliverQoS: Deliver;
  connackSent: boolean;
  closed: boolean;
  conn: Writable;
}

/** Deliveries held per client, flat: deliver, packet, callback, deliver, ... */
const heldDeliveries = new WeakMap<DeliveringClient, unknown[]>();

function releaseHeldDeliveries(client: DeliveringClient): void {
  const held = heldDeliveries.get(client);
  if (held === undefined) return;
  heldDeliveries.delete(client);
  for (let i = 0; i < held.length; i += 3) (held[i] as Deliver)(held[i + 1], held[i + 2] as () => void);
}

/** Checks the installed aedes once (gateway start) and logs a warning when its patches are not applied. */
export function checkAedes(options: AedesCheckOptions): AedesAdapter {
  const foundVersion = options.foundVersion ?? engineVersion('aedes');
  const state: EngineCheck = { engine: 'aedes', expectedVersion: AEDES_VERSION, foundVersion, patched: false };
  const missing = missingMembers(options.probe);
  if (foundVersion !== AEDES_VERSION) state.reason = 'version differs';
  else if (missing.length > 0) state.reason = `self-test: aedes lacks ${missing.join(', ')}`;
  else state.patched = true;
  if (!state.patched) options.logger.warn({ ...state, lost: LOST }, `aedes ${foundVersion} (patches written for ${AEDES_VERSION}): engine patches not applied`);
  const queueShortcut = (options.connectSource ?? aedesSourceFile('lib/handlers/connect.js')).includes(QUEUE_SHORTCUT_MARK);
  if (!queueShortcut) {
    options.logger.warn({ engine: 'aedes', foundVersion, patch: 'patches/aedes+1.2.0.patch', lost: QUEUE_SHORTCUT_LOST }, 'aedes source patch not applied (installed without scripts, or another aedes version): run npm install to apply it');
  }
  return new AedesAdapter(state, queueShortcut);
}

function missingMembers({ client, broker }: EngineProbe): string[] {
  const missing: string[] = [];
  const c = client as Record<string, unknown>;
  const b = broker as Record<string, unknown>;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null;
  if (!isObject(c.subscriptions)) missing.push('client.subscriptions');
  if (typeof c.connackSent !== 'boolean') missing.push('client.connackSent');
  if (typeof c._disconnected !== 'boolean') missing.push('client._disconnected');
  if (!('_will' in c)) missing.push('client._will');
  if (!isObject(c._events)) missing.push('client._events');
  if (!isObject(c.duplicates)) missing.push('client.duplicates');
  if (!(c._inboundInflight instanceof Set)) missing.push('client._inboundInflight');
  if (!isObject(c._parser) || !isObject((c._parser as Record<string, unknown>)._events)) missing.push('client._parser._events');
  if (!(c.conn instanceof Writable)) missing.push('client.conn');
  if (typeof c.deliver0 !== 'function' || typeof c.deliverQoS !== 'function') missing.push('client.deliver0/deliverQoS');
  if (typeof c.closed !== 'boolean') missing.push('client.closed');
  if (!isObject(b.clients)) missing.push('broker.clients');
  if (typeof b.id !== 'string') missing.push('broker.id');
  if (typeof b.counter !== 'number') missing.push('broker.counter');
  if (!isObject(b.persistence) || typeof (b.persistence as Record<string, unknown>).outgoingEnqueue !== 'function') missing.push('broker.persistence.outgoingEnqueue');
  if (typeof b.registerClient !== 'function') missing.push('broker.registerClient');
  return missing;
}

const NO_NAMES: object = Object.freeze(Object.create(null) as object);

/**
 * A fast-mode copy of a null-prototype dictionary (see above). `lastKey` goes last: deleting
 * any other key turns the object back into a dictionary, deleting the last one does not.
 */
function fastTable<T extends object>(table: T, lastKey?: string): T {
  const from = table as Record<string | symbol, unknown>;
  const fast = Object.create(NO_NAMES) as Record<string | symbol, unknown>;
  for (const key of Reflect.ownKeys(from)) if (key !== lastKey) fast[key] = from[key];
  if (lastKey !== undefined && Object.hasOwn(from, lastKey)) fast[lastKey] = from[lastKey];
  return fast as T;
}

/** A Set of packet identifiers that allocates its Set on the first add. */
export class LazyIdSet implements IdSet {
  private ids: Set<number> | null = null;

  get size(): number {
    return this.ids === null ? 0 : this.ids.size;
  }

  has(id: number): boolean {
    return this.ids !== null && this.ids.has(id);
  }

  add(id: number): this {
    (this.ids ??= new Set()).add(id);
    return this;
  }

  delete(id: number): boolean {
    return this.ids !== null && this.ids.delete(id);
  }
}

/** The heap slimming itself (patch 2); exported for its unit test. */
export function slimAedesClient(client: object): void {
  const c = client as SlimmableClient;
  // aedes' once('connected') listener is the one removed (at CONNACK).
  c._events = fastTable(c._events, 'connected');
  c._parser._events = fastTable(c._parser._events);
  c.duplicates = fastTable(c.duplicates);
  if (c._inboundInflight.size === 0) c._inboundInflight = new LazyIdSet();
}
