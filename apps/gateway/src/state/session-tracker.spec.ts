import { jest } from '@jest/globals';
import { createLogger } from '#config';
import {
  ClientSessionRepository,
  type ClientSessionRow,
  type ConnectedEpoch,
  type SessionConnect,
  type SessionUpdate,
} from '#domain/persistence';
import { SessionTracker } from './session-tracker.js';

/** Epochs and rows as the SQL repository keeps them, in memory. */
class MemorySessions extends ClientSessionRepository {
  rows = new Map<string, { epoch: number; online: boolean; subs: unknown; node: string }>();
  connectCalls: number[] = [];
  fail = false;
  /** As PostgreSQL answers a value too long for client_id varchar(128): the whole statement fails. */
  private refuseTooLong(rows: ReadonlyArray<{ clientId: string }>): void {
    if (rows.some((r) => r.clientId.length > 128)) throw Object.assign(new Error('value too long for type character varying(128)'), { code: '22001' });
  }

  async connect(s: SessionConnect): Promise<number | null> {
    return (await this.connectMany([s]))[0]?.epoch ?? null;
  }
  async connectMany(sessions: readonly SessionConnect[]): Promise<ConnectedEpoch[]> {
    if (this.fail) throw new Error('db down');
    this.connectCalls.push(sessions.length);
    this.refuseTooLong(sessions);
    const keys = new Set(sessions.map((s) => `${s.instanceId}/${s.clientId}`));
    if (keys.size !== sessions.length) throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
    return sessions.map((s) => {
      const key = `${s.instanceId}/${s.clientId}`;
      const epoch = (this.rows.get(key)?.epoch ?? 0) + 1;
      this.rows.set(key, { epoch, online: true, subs: [], node: s.nodeId });
      return { instanceId: s.instanceId, clientId: s.clientId, epoch };
    });
  }
  async applyUpdates(updates: readonly SessionUpdate[]): Promise<number> {
    if (this.fail) throw new Error('db down');
    this.refuseTooLong(updates);
    let n = 0;
    for (const u of updates) {
      const row = this.rows.get(`${u.instanceId}/${u.clientId}`);
      if (row === undefined || row.epoch !== u.epoch) continue;
      row.online = u.online;
      if (u.subscriptions !== null) row.subs = u.subscriptions;
      n++;
    }
    return n;
  }
  async find(): Promise<ClientSessionRow | null> {
    return null;
  }
  async markNodeOffline(nodeId: string): Promise<number> {
    let n = 0;
    for (const row of this.rows.values()) if (row.node === nodeId && row.online) (row.online = false), n++;
    return n;
  }
  async markStaleOffline(): Promise<number> {
    return 0;
  }
  async countOnline(): Promise<number> {
    return [...this.rows.values()].filter((r) => r.online).length;
  }
}

const open = (clientId: string) => ({ instanceId: 'default', clientId, remoteAddress: '127.0.0.1', clean: true });

describe('SessionTracker', () => {
  let repo: MemorySessions;
  let tracker: SessionTracker;
  beforeEach(() => {
    repo = new MemorySessions();
    tracker = new SessionTracker({ repo, nodeId: 'n1', flushMs: 60_000, logger: createLogger('silent'), connectLingerMs: 1 });
  });

  it('batches connects into one upsert and gives each its epoch', async () => {
    const epochs = await Promise.all(['a', 'b', 'c'].map((id) => tracker.opened({}, open(id))));
    expect(epochs).toEqual([1, 1, 1]);
    expect(repo.connectCalls).toEqual([3]);
  });

  describe('connect batching', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());
    const make = () => new SessionTracker({ repo, nodeId: 'n1', flushMs: 60_000, logger: createLogger('silent'), connectLingerMs: 5, stormLingerMs: 25, maxConnectBatch: 3 });

    it('lingers longer while connects keep coming, and short again once they stop', async () => {
      const t = make();
      const first = [t.opened({}, open('a')), t.opened({}, open('b'))];
      await jest.advanceTimersByTimeAsync(5);
      expect(await Promise.all(first)).toEqual([1, 1]);
      // The last batch had two: a storm, so the next waits up to 25 ms for company.
      const c = t.opened({}, open('c'));
      await jest.advanceTimersByTimeAsync(10);
      expect(repo.connectCalls).toEqual([2]);
      const d = t.opened({}, open('d'));
      await jest.advanceTimersByTimeAsync(15);
      expect(await Promise.all([c, d])).toEqual([1, 1]);
      expect(repo.connectCalls).toEqual([2, 2]);
      // A lone connect ends the storm; the one after it waits only the short linger.
      const e = t.opened({}, open('e'));
      await jest.advanceTimersByTimeAsync(25);
      await e;
      const f = t.opened({}, open('f'));
      await jest.advanceTimersByTimeAsync(5);
      expect(await f).toBe(1);
      expect(repo.connectCalls).toEqual([2, 2, 1, 1]);
    });

    it('writes a full batch at once, without lingering', async () => {
      const t = make();
      const epochs = Promise.all(['a', 'b', 'c'].map((id) => t.opened({}, open(id))));
      await jest.advanceTimersByTimeAsync(0);
      expect(await epochs).toEqual([1, 1, 1]);
      expect(repo.connectCalls).toEqual([3]);
    });

    it('settles what is still lingering', async () => {
      const t = make();
      const a = t.opened({}, open('a'));
      await t.settle();
      expect(await a).toBe(1);
      expect(repo.connectCalls).toEqual([1]);
    });
  });

  it('grows the epoch per connect and splits a client that appears twice across batches', async () => {
    const first = {};
    const second = {};
    const e1 = tracker.opened(first, open('a'));
    const closed = tracker.closed(first);
    const e2 = tracker.opened(second, open('a'));
    expect(await e1).toBe(1);
    expect(await closed).toBe(1);
    expect(await e2).toBe(2);
    // The old connection's offline write must not touch the newer connect's row.
    await tracker.flush();
    expect(repo.rows.get('default/a')!.online).toBe(true);
  });

  it('coalesces subscription changes and writes them with the flush', async () => {
    const conn = {};
    await tracker.opened(conn, open('a'));
    tracker.subscribed(conn, [{ topic: 'x/#', qos: 1 }, { topic: 'y', qos: 0 }]);
    tracker.unsubscribed(conn, ['y']);
    await tracker.flush();
    expect(repo.rows.get('default/a')!.subs).toEqual([{ topic: 'x/#', qos: 1 }]);
  });

  it('retries a failed connect upsert on the next flush while the client stays connected', async () => {
    repo.fail = true;
    const conn = {};
    expect(await tracker.opened(conn, open('a'))).toBe(0);
    repo.fail = false;
    await tracker.flush();
    await tracker.settle();
    expect(repo.rows.get('default/a')).toMatchObject({ epoch: 1, online: true });
  });

  it('isolates a row the database refuses: the rest of its batch is written, the bad one is not retried', async () => {
    const ids = ['a', 'b', 'x'.repeat(200), 'c', 'd'];
    const conns = ids.map(() => ({}));
    const epochs = await Promise.all(ids.map((id, i) => tracker.opened(conns[i]!, open(id))));
    expect(epochs).toEqual([1, 1, 0, 1, 1]);
    for (const id of ['a', 'b', 'c', 'd']) expect(repo.rows.get(`default/${id}`)).toMatchObject({ epoch: 1, online: true });
    const calls = repo.connectCalls.length;
    tracker.subscribed(conns[2]!, [{ topic: 't/#', qos: 1 }]);
    tracker.subscribed(conns[0]!, [{ topic: 't/#', qos: 1 }]);
    await tracker.flush();
    await tracker.settle();
    expect(repo.connectCalls.length).toBe(calls);
    expect(repo.rows.get('default/a')!.subs).toEqual([{ topic: 't/#', qos: 1 }]);
  });

  it('marks everything of the node offline at stop', async () => {
    await tracker.opened({}, open('a'));
    await tracker.opened({}, open('b'));
    await tracker.stop();
    expect(await repo.countOnline()).toBe(0);
  });
});
