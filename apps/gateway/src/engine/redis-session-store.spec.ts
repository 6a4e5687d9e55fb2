import { REDIS_SESSION_STORE_VERSIONS, createRedisSessionStore } from './redis-session-store.js';
import { captureLogs } from '../../../../test/helpers/logs.js';

describe('createRedisSessionStore', () => {
  // Nothing listens on port 1: the connections retry in the background until closed; no Redis is needed.
  const url = 'redis://127.0.0.1:1';

  it('is silent with the tested versions and gives aedes a persistence and an emitter', async () => {
    const log = captureLogs();
    const store = createRedisSessionStore(url, log.logger, { ...REDIS_SESSION_STORE_VERSIONS });
    expect(log.lines.filter((l) => l.level === 40 && l.engine !== undefined)).toEqual([]);
    expect(typeof (store.brokerOptions.persistence as { setup?: unknown }).setup).toBe('function');
    expect(typeof (store.brokerOptions.mq as { emit?: unknown }).emit).toBe('function');
    expect(typeof store.queueEmpty).toBe('function');
    await store.close();
    await new Promise<void>((resolve) => (store.brokerOptions.mq as { close(cb: () => void): void }).close(resolve));
  });

  it('does not answer whether a queue is empty with another aedes-persistence-redis, whose queue key it cannot know', async () => {
    const log = captureLogs();
    const store = createRedisSessionStore(url, log.logger, { ...REDIS_SESSION_STORE_VERSIONS, 'aedes-persistence-redis': '12.0.0' });
    expect(store.queueEmpty).toBeUndefined();
    await store.close();
    await new Promise<void>((resolve) => (store.brokerOptions.mq as { close(cb: () => void): void }).close(resolve));
  });

  it('warns naming the package, the tested and the found version when a version differs', async () => {
    const log = captureLogs();
    const store = createRedisSessionStore(url, log.logger, { ...REDIS_SESSION_STORE_VERSIONS, 'mqemitter-redis': '8.0.0' });
    const warnings = log.lines.filter((l) => l.level === 40 && l.engine !== undefined);
    expect(warnings).toEqual([expect.objectContaining({ engine: 'mqemitter-redis', expectedVersion: REDIS_SESSION_STORE_VERSIONS['mqemitter-redis'], foundVersion: '8.0.0' })]);
    await store.close();
    await new Promise<void>((resolve) => (store.brokerOptions.mq as { close(cb: () => void): void }).close(resolve));
  });
});
