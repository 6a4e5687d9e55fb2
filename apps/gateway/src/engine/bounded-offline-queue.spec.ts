import { boundOfflineQueues, type AedesQueuePersistence, type OfflineDropReason, type QueueEmptiness, type QueuedPacket } from './bounded-offline-queue.js';
import { createMemoryPersistence } from './memory-persistence.js';

// Against aedes' own memory persistence: the drops go through its outgoingUpdate/outgoingClearMessageId.
const CLIENT = 'GID_x@@@offline';

function setup(bounds = { maxMessages: 3, maxAgeMs: 60_000 }, connected = false, storeIsLocal = true, sharedQueueEmpty?: (clientId: string) => Promise<boolean>) {
  let now = 1_000_000;
  const drops: Array<{ reason: OfflineDropReason; count: number }> = [];
  const failures: unknown[] = [];
  const inner = createMemoryPersistence() as unknown as AedesQueuePersistence;
  const store = boundOfflineQueues(inner, bounds, {
    clock: () => now,
    storeIsLocal,
    sharedQueueEmpty,
    connectedHere: () => connected,
    onDropped: (reason, _clientId, count) => drops.push({ reason, count }),
    onTrimFailed: (_clientId, err) => failures.push(err),
  });
  let counter = 0;
  const publish = (payload: string): QueuedPacket =>
    ({ cmd: 'publish', brokerId: 'node-a', brokerCounter: ++counter, topic: 't', payload: Buffer.from(payload), qos: 1, retain: false, dup: false }) as QueuedPacket;
  const enqueue = (payload: string) => store.outgoingEnqueueCombi([{ clientId: CLIENT }], publish(payload));
  const read = async (from: AedesQueuePersistence): Promise<string[]> => {
    const payloads: string[] = [];
    for await (const p of from.outgoingStream({ id: CLIENT })) payloads.push(String((p as unknown as { payload: Buffer }).payload));
    return payloads;
  };
  /** Lets a trim started by an enqueue finish (it runs in the background). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { store, inner, drops, failures, enqueue, read, settle, publish, advance: (ms: number) => (now += ms) };
}

describe('boundOfflineQueues', () => {
  describe('outgoingQueueEmpty (patches/aedes+1.2.0.patch: aedes skips streaming an empty queue at CONNECT)', () => {
    const empty = async (t: ReturnType<typeof setup>, id = CLIENT): Promise<boolean> => (t.store as unknown as QueueEmptiness).outgoingQueueEmpty({ id });
    const drain = async (t: ReturnType<typeof setup>, clean: boolean): Promise<number> => {
      let n = 0;
      for await (const p of t.store.outgoingStream({ id: CLIENT, clean } as { id: string })) {
        n++;
        if (clean) await t.inner.outgoingClearMessageId({ id: CLIENT }, { messageId: (p as { messageId?: number }).messageId });
      }
      return n;
    };

    it('is true for a client nothing was queued for, false once something was', async () => {
      const t = setup();
      expect(await empty(t)).toBe(true);
      await t.enqueue('m1');
      expect(await empty(t)).toBe(false);
      expect(await empty(t, 'someone-else')).toBe(true);
    });

    it('stays false after a persistent session read its queue (its packets stay until acknowledged)', async () => {
      const t = setup();
      await t.enqueue('m1');
      expect(await drain(t, false)).toBe(1);
      expect(await empty(t)).toBe(false);
    });

    it('is true again once a clean connect streamed the queue to discard it, false at the next enqueue', async () => {
      const t = setup();
      for (const m of ['m1', 'm2']) await t.enqueue(m);
      // aedes gives queued packets an id before it clears them; as it would when writing them.
      let id = 0;
      for await (const p of t.inner.outgoingStream({ id: CLIENT })) await t.inner.outgoingUpdate({ id: CLIENT }, { ...p, messageId: ++id });
      expect(await drain(t, true)).toBe(2);
      expect(await t.read(t.inner)).toEqual([]);
      expect(await empty(t)).toBe(true);
      await t.enqueue('m3');
      expect(await empty(t)).toBe(false);
    });

    it('a packet queued while a clean connect reads the queue marks the client again', async () => {
      const t = setup();
      await t.enqueue('m1');
      const reading = t.store.outgoingStream({ id: CLIENT, clean: true } as { id: string })[Symbol.asyncIterator]();
      const first = reading.next();
      await t.enqueue('m2');
      await first;
      expect(await empty(t)).toBe(false);
    });

    it("with a store other nodes write too (Redis), is the store's answer, or false without one", async () => {
      const asked: string[] = [];
      const shared = setup(undefined, false, false, async (clientId) => {
        asked.push(clientId);
        return clientId === 'empty-one';
      });
      const answer = (shared.store as unknown as QueueEmptiness).outgoingQueueEmpty({ id: 'empty-one' });
      expect(answer).toBeInstanceOf(Promise);
      expect(await answer).toBe(true);
      expect(await empty(shared)).toBe(false);
      expect(asked).toEqual(['empty-one', CLIENT]);

      const t = setup(undefined, false, false);
      expect((t.store as unknown as QueueEmptiness).outgoingQueueEmpty({ id: CLIENT })).toBe(false);
      expect(await drain(t, true)).toBe(0);
      expect((t.store as unknown as QueueEmptiness).outgoingQueueEmpty({ id: CLIENT })).toBe(false);
    });
  });

  it('delivers the newest maxMessages in order on resume, drops the oldest and counts them', async () => {
    const t = setup({ maxMessages: 3, maxAgeMs: 60_000 }, true);
    for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) await t.enqueue(m);
    expect(await t.read(t.store)).toEqual(['m3', 'm4', 'm5']);
    expect(t.drops).toEqual([{ reason: 'max-messages', count: 2 }]);
    // Gone from the store too, not only skipped.
    expect(await t.read(t.inner)).toEqual(['m3', 'm4', 'm5']);
  });

  it('drops messages older than maxAgeMs when the session resumes', async () => {
    const t = setup({ maxMessages: 10, maxAgeMs: 60_000 });
    await t.enqueue('old-1');
    await t.enqueue('old-2');
    t.advance(60_001);
    await t.enqueue('fresh');
    expect(await t.read(t.store)).toEqual(['fresh']);
    expect(t.drops).toEqual([{ reason: 'max-age', count: 2 }]);
  });

  it('keeps an offline queue near its bound while messages keep arriving (trimmed every maxMessages enqueues)', async () => {
    const t = setup({ maxMessages: 3, maxAgeMs: 60_000 });
    for (let i = 1; i <= 10; i++) {
      await t.enqueue(`m${i}`);
      await t.settle();
    }
    // Trimmed at the 3rd, 6th and 9th enqueue: m7..m9 kept, then m10 queued.
    expect(await t.read(t.inner)).toEqual(['m7', 'm8', 'm9', 'm10']);
    expect(await t.read(t.store)).toEqual(['m8', 'm9', 'm10']);
    expect(t.failures).toEqual([]);
  });

  it('does not trim behind a client connected to this node', async () => {
    const t = setup({ maxMessages: 2, maxAgeMs: 60_000 }, true);
    for (let i = 1; i <= 5; i++) await t.enqueue(`m${i}`);
    await t.settle();
    expect(await t.read(t.inner)).toHaveLength(5);
  });

  it('drops a message already sent once (it has a packet id) like any other', async () => {
    const t = setup({ maxMessages: 1, maxAgeMs: 60_000 }, true);
    await t.enqueue('sent-once');
    await t.inner.outgoingUpdate({ id: CLIENT }, { ...(await first(t.inner)), messageId: 7 });
    await t.enqueue('newest');
    const resumed: QueuedPacket[] = [];
    for await (const p of t.store.outgoingStream({ id: CLIENT })) resumed.push(p);
    expect(resumed.map((p) => String((p as unknown as { payload: Buffer }).payload))).toEqual(['newest']);
    expect(t.drops).toEqual([{ reason: 'max-messages', count: 1 }]);
  });
});

async function first(persistence: AedesQueuePersistence): Promise<QueuedPacket> {
  for await (const p of persistence.outgoingStream({ id: CLIENT })) return p;
  throw new Error('empty queue');
}
