// The Redis presence directory (libs/messaging/src/redis) against a private redis-server: the
// one authority for "where is client X" with FLEETMQ_SESSION_STORE=redis. Its scripts are what
// keep a takeover from being erased and a dead node's entries from routing forever.
import { Redis } from 'ioredis';
import { createLogger } from '#config';
import { PresenceReadOnlyError, RedisPresenceDirectory } from '#messaging';
import { describeWithRedisServer, TestRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
const I = 'fmq-presence';

describeWithRedisServer('Redis presence directory', () => {
  const redis = new TestRedisServer();
  const open: RedisPresenceDirectory[] = [];
  let raw: Redis;

  const node = async (nodeId: string, heartbeatMs = 100): Promise<RedisPresenceDirectory> => {
    const directory = new RedisPresenceDirectory({ redisUrl: redis.url, logger, nodeId, heartbeatMs });
    open.push(directory);
    await directory.start();
    return directory;
  };

  beforeAll(async () => {
    await redis.start();
    raw = new Redis(redis.url);
  });

  afterAll(async () => {
    for (const d of open) await d.stop();
    raw?.disconnect();
    await redis.dispose();
  });

  it('names the holding node; the old node cannot erase an entry a takeover on another node wrote', async () => {
    const a = await node('pd-a');
    const b = await node('pd-b');
    await a.connected(I, 'c1', 'tok-a', true);
    expect(await a.locate(I, 'c1')).toEqual({ state: 'online', nodeId: 'pd-a', persistent: true });
    await b.connected(I, 'c1', 'tok-b', false);
    expect(await a.disconnected(I, 'c1', 'tok-a')).toBe(false);
    expect(await a.locate(I, 'c1')).toEqual({ state: 'online', nodeId: 'pd-b', persistent: false });
    // The same node and an older token (a takeover on one node) does not erase it either.
    expect(await b.disconnected(I, 'c1', 'tok-old')).toBe(false);
    expect(await b.disconnected(I, 'c1', 'tok-b')).toBe(true);
    expect(await a.locate(I, 'c1')).toEqual({ state: 'absent' });
  });

  it('keeps a persistent session offline after its connection ends, until a clean connect replaces it', async () => {
    const a = await node('pd-c');
    await a.connected(I, 'p1', 't1', true);
    await a.disconnected(I, 'p1', 't1');
    expect(await a.locate(I, 'p1')).toEqual({ state: 'offline-persistent' });
    await a.connected(I, 'p1', 't2', false);
    await a.disconnected(I, 'p1', 't2');
    expect(await a.locate(I, 'p1')).toEqual({ state: 'absent' });
    expect(await a.locate('fmq-other', 'p1')).toEqual({ state: 'absent' });
  });

  it('reads the entries of a node whose liveness key expired as offline at once, and a live node sweeps them', async () => {
    const live = await node('pd-live');
    const doomed = await node('pd-doomed');
    await doomed.connected(I, 'kept', 'k', true);
    await doomed.connected(I, 'gone', 'g', false);
    expect(await live.locate(I, 'kept')).toMatchObject({ state: 'online', nodeId: 'pd-doomed' });
    // A crash: the heartbeat stops and the liveness key is gone (stop() drops it without touching the entries).
    await doomed.stop();
    expect(await live.locate(I, 'kept')).toEqual({ state: 'offline-persistent' });
    expect(await live.locate(I, 'gone')).toEqual({ state: 'absent' });
    await waitFor(async () => (await raw.exists('fleetmq:presence:fmq-presence/gone')) === 0 && (await raw.sismember('fleetmq:nodes', 'pd-doomed')) === 0, {
      timeoutMs: 5_000,
      what: "the live node's sweep of the dead node",
    });
    expect(await raw.hgetall('fleetmq:presence:fmq-presence/kept')).toEqual({ p: '1' });
  });

  it('a reader (the console) locates clients and refuses to write', async () => {
    const a = await node('pd-r');
    await a.connected(I, 'r1', 't', false);
    const reader = new RedisPresenceDirectory({ redisUrl: redis.url, logger });
    open.push(reader);
    expect(await reader.locate(I, 'r1')).toEqual({ state: 'online', nodeId: 'pd-r', persistent: false });
    await expect(reader.connected(I, 'r1', 'x', false)).rejects.toBeInstanceOf(PresenceReadOnlyError);
  });

  it('a node restarting under the same ID sweeps what its previous life left', async () => {
    const first = await node('pd-restart', 60_000);
    await first.connected(I, 'stale', 's', false);
    await first.connected(I, 'stale-p', 'sp', true);
    await first.stop();
    const again = await node('pd-restart', 60_000);
    expect(await again.locate(I, 'stale')).toEqual({ state: 'absent' });
    expect(await again.locate(I, 'stale-p')).toEqual({ state: 'offline-persistent' });
    expect(await raw.exists('fleetmq:presence:fmq-presence/stale')).toBe(0);
  });
});
