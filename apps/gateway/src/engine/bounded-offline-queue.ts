import { Readable } from 'node:stream';

/**
 * Bounds the QoS 1/2 queue aedes keeps per persistent session (cleanSession=false), for any
 * aedes persistence (memory or Redis): at most `maxMessages` per client, none older than
 * `maxAgeMs`. What goes over is dropped, the OLDEST first, so a device that comes back gets
 * the most recent messages (as EMQX's mqueue; Mosquitto refuses the new ones instead).
 *
 * aedes 1.2 queues through these persistence calls (aedes.js enqueueOffline, lib/client.js,
 * lib/handlers/connect.js emptyQueue): `outgoingEnqueueCombi` for every QoS > 0 publish to
 * persistent subscribers (online or not), `outgoingEnqueue` for a publish to one client,
 * `outgoingUpdate` when a packet id is given, `outgoingClearMessageId` on PUBACK, and
 * `outgoingStream` when a session resumes. This wrapper:
 * - stamps each queued packet with `messageExpiry` (ms since epoch), the field aedes-packet
 *   keeps for queued packets, so the age travels with the packet in either store;
 * - trims a client's queue when its session resumes (`outgoingStream`), and while it is
 *   offline after every `maxMessages` enqueues this node made for it, so storage stays
 *   bounded without a read per message.
 * A dropped packet is removed with the persistence's own calls: `outgoingUpdate` with a
 * packet id (its own, or one from the top of the range, where live ids are not yet), then
 * `outgoingClearMessageId`, the way a PUBACK removes it, so shared-packet reference counts
 * (aedes-persistence-redis) stay right.
 *
 * It also answers `outgoingQueueEmpty(client)` (patches/aedes+1.2.0.patch), so that aedes
 * skips streaming the queue at CONNECT, which for the usual device with nothing queued was a
 * third of the connect's CPU. With a store only this node writes (the in-memory one) the answer
 * is known here: true when nothing was ever queued for the client, or nothing since a clean
 * connect of it discarded its queue. A shared store (Redis) is written by every node: the
 * answer is the store's (`sharedQueueEmpty`, one round trip), or false without one.
 */

export type OfflineDropReason = 'max-messages' | 'max-age';

export interface OfflineQueueBounds {
  maxMessages: number;
  maxAgeMs: number;
}

/** A packet as the persistences queue it (aedes-packet fields the bounds use). */
export interface QueuedPacket {
  cmd: string;
  brokerId: string;
  brokerCounter: number;
  messageId?: number;
  messageExpiry?: number;
}

interface QueueOwner {
  id: string;
}

/** The aedes client whose queue aedes streams at CONNECT (lib/handlers/connect.js emptyQueue). */
interface ResumingClient extends QueueOwner {
  /** cleanSession: aedes clears what it streams instead of writing it [MQTT-3.1.2-6]. */
  clean?: boolean;
}

/** The promise API of an aedes persistence (aedes-persistence's CallBackPersistence) that queueing uses. */
export interface AedesQueuePersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket): Promise<void>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: QueuedPacket): Promise<void>;
  outgoingUpdate(client: QueueOwner, packet: QueuedPacket): Promise<void>;
  outgoingClearMessageId(client: QueueOwner, packet: { messageId?: number }): Promise<unknown>;
  outgoingStream(client: QueueOwner): AsyncIterable<QueuedPacket>;
}

export interface BoundedOfflineQueueDeps {
  clock: () => number;
  /** True when every write to the store passes through this node (the in-memory store), so it knows which queues are empty. */
  storeIsLocal: boolean;
  /** With a shared store: resolves true when the client's queue there is empty. Absent: unknown, so the queue is streamed. */
  sharedQueueEmpty?: (clientId: string) => Promise<boolean>;
  /** True while `clientId` is connected to this node: its queue drains live and is not trimmed behind it. */
  connectedHere(clientId: string): boolean;
  /** Counted and logged by the gateway (metric with a reason label, rate-limited log). */
  onDropped(reason: OfflineDropReason, clientId: string, count: number): void;
  /** A trim that failed (the store did not answer); the queue is left as it was. */
  onTrimFailed(clientId: string, err: unknown): void;
}

const NOTHING_QUEUED: Promise<void> = Promise.resolve();

/** MQTT packet identifiers are 1..65535 [MQTT-2.3.1-1]. */
const MAX_PACKET_ID = 65_535;

/**
 * Returns `persistence` with its queueing calls bounded; every other member is the wrapped
 * persistence's own (prototype chain), so aedes sees the same object otherwise.
 */
export function boundOfflineQueues<P extends object>(persistence: P, bounds: OfflineQueueBounds, deps: BoundedOfflineQueueDeps): P {
  const queue = new OfflineQueueBounder(persistence as unknown as AedesQueuePersistence, bounds, deps);
  const bounded = Object.create(persistence) as P & AedesQueuePersistence & QueueEmptiness;
  bounded.outgoingEnqueue = (sub, packet) => queue.enqueue([sub], packet);
  // aedes calls this for every QoS > 0 PUBLISH, almost always with no offline subscriber.
  bounded.outgoingEnqueueCombi = (subs, packet) => (subs.length === 0 ? NOTHING_QUEUED : queue.enqueue(subs, packet));
  bounded.outgoingStream = (client) => Readable.from(queue.resume(client));
  bounded.outgoingQueueEmpty = (client) => queue.knownEmpty(client.id);
  return bounded;
}

/** What the patched aedes asks its persistence before it streams a connecting client's queue. */
export interface QueueEmptiness {
  outgoingQueueEmpty(client: QueueOwner): boolean | Promise<boolean>;
}

/** The bounds themselves; exported for its unit test. */
export class OfflineQueueBounder {
  /** Enqueues this node made per client since its queue was last trimmed. */
  private readonly sinceTrim = new Map<string, number>();
  /** Trims under way, one per client: a resume waits for it, or both would drop (and count) the same packets. */
  private readonly trimming = new Map<string, Promise<unknown>>();
  /**
   * Clients something was queued for (local store only), until a clean connect discards their
   * queue. Marked before the store is written, unmarked before the discarding stream reads it:
   * a packet queued in between marks again, so a marked client may have an empty queue, never
   * an unmarked one a packet.
   */
  private readonly mayHoldPackets = new Set<string>();

  constructor(
    private readonly inner: AedesQueuePersistence,
    private readonly bounds: OfflineQueueBounds,
    private readonly deps: BoundedOfflineQueueDeps,
  ) {}

  async enqueue(subs: Array<{ clientId: string }>, packet: QueuedPacket): Promise<void> {
    // The same packet object goes to every subscriber and is copied by the store: stamped once, no allocation.
    packet.messageExpiry ??= this.deps.clock() + this.bounds.maxAgeMs;
    if (this.deps.storeIsLocal) for (let i = 0; i < subs.length; i++) this.mayHoldPackets.add(subs[i]!.clientId);
    await this.inner.outgoingEnqueueCombi(subs, packet);
    for (let i = 0; i < subs.length; i++) this.counted(subs[i]!.clientId);
  }

  /** True (or a promise of true) only when `clientId` certainly has nothing queued (see mayHoldPackets). */
  knownEmpty(clientId: string): boolean | Promise<boolean> {
    if (this.deps.storeIsLocal) return !this.mayHoldPackets.has(clientId);
    return this.deps.sharedQueueEmpty?.(clientId) ?? false;
  }

  /** The queue of a resuming session, trimmed first, in order. */
  async *resume(client: ResumingClient): AsyncGenerator<QueuedPacket> {
    this.sinceTrim.delete(client.id);
    // aedes clears every packet of a clean session's queue it reads here; one persistent
    // session's stays until each is acknowledged, so it stays marked.
    if (client.clean === true) this.mayHoldPackets.delete(client.id);
    let kept: QueuedPacket[];
    try {
      await this.trimming.get(client.id);
      kept = await this.trim(client.id);
    } catch (err) {
      this.deps.onTrimFailed(client.id, err);
      yield* this.inner.outgoingStream(client);
      return;
    }
    yield* kept;
  }

  private counted(clientId: string): void {
    const n = (this.sinceTrim.get(clientId) ?? 0) + 1;
    if (n < this.bounds.maxMessages) {
      this.sinceTrim.set(clientId, n);
      return;
    }
    this.sinceTrim.delete(clientId);
    if (this.trimming.has(clientId) || this.deps.connectedHere(clientId)) return;
    const trim = this.trim(clientId)
      .catch((err: unknown) => this.deps.onTrimFailed(clientId, err))
      .finally(() => this.trimming.delete(clientId));
    this.trimming.set(clientId, trim);
  }

  /** Drops what is over the bounds from `clientId`'s queue; resolves with what is left, in order. */
  async trim(clientId: string): Promise<QueuedPacket[]> {
    const owner = { id: clientId };
    const queued: QueuedPacket[] = [];
    for await (const packet of this.inner.outgoingStream(owner)) queued.push(packet);
    const now = this.deps.clock();
    // Only PUBLISH entries are dropped; a PUBREL (QoS 2 half done) stays until the client completes it.
    let publishes = 0;
    for (const p of queued) if (p.cmd === 'publish') publishes++;
    let overCount = Math.max(0, publishes - this.bounds.maxMessages);
    const usedIds = new Set<number>();
    for (const p of queued) if (p.messageId !== undefined) usedIds.add(p.messageId);
    let freeId = MAX_PACKET_ID;
    const nextFreeId = (): number => {
      while (usedIds.has(freeId)) freeId--;
      return freeId--;
    };
    const kept: QueuedPacket[] = [];
    let droppedForCount = 0;
    let droppedForAge = 0;
    for (const p of queued) {
      const expired = p.messageExpiry !== undefined && p.messageExpiry <= now;
      if (p.cmd !== 'publish' || (overCount === 0 && !expired)) {
        kept.push(p);
        continue;
      }
      if (overCount > 0) {
        overCount--;
        droppedForCount++;
      } else {
        droppedForAge++;
      }
      const messageId = p.messageId ?? nextFreeId();
      await this.inner.outgoingUpdate(owner, { ...p, messageId });
      await this.inner.outgoingClearMessageId(owner, { messageId });
    }
    if (droppedForCount > 0) this.deps.onDropped('max-messages', clientId, droppedForCount);
    if (droppedForAge > 0) this.deps.onDropped('max-age', clientId, droppedForAge);
    return kept;
  }
}
