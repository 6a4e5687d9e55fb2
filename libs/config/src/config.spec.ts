import { ConfigError, loadConfig } from './index.js';

const separate = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  FLEETMQ_MASTER_KEY: 'a'.repeat(64),
  FLEETMQ_ADMIN_TOKEN: 'x'.repeat(32),
};

describe('loadConfig', () => {
  it('gives the documented defaults to the embedded all-in-one start', () => {
    const c = loadConfig('all-in-one', {});
    expect(c.embedded).toBe(true);
    expect(c.allowAnonymous).toBe(true);
    expect([c.httpPort, c.mqttPort, c.mqttsPort, c.wsPort]).toEqual([8080, 1884, 8883, 8083]);
    expect(c.wsPath).toBe('/mqtt');
    expect(c.kafkaBrokers).toBeUndefined();
    expect(c.limits.maxPayloadBytes).toBe(256 * 1024);
    expect(c.limits.maxTopicLength).toBe(128);
  });

  it('compacts the heap after connect storms of 1000 by default; 0 turns it off', () => {
    expect(loadConfig('gateway', separate).heapCompactAfterConnects).toBe(1000);
    expect(loadConfig('gateway', { ...separate, FLEETMQ_HEAP_COMPACT_AFTER_CONNECTS: '0' }).heapCompactAfterConnects).toBe(0);
  });

  it('keeps anonymous access off outside the embedded default', () => {
    expect(loadConfig('gateway', separate).allowAnonymous).toBe(false);
    expect(loadConfig('all-in-one', { DATABASE_URL: separate.DATABASE_URL }).allowAnonymous).toBe(false);
    expect(loadConfig('gateway', { ...separate, FLEETMQ_ALLOW_ANONYMOUS: 'true' }).allowAnonymous).toBe(true);
  });

  it('splits KAFKA_BROKERS', () => {
    expect(loadConfig('all-in-one', { KAFKA_BROKERS: 'a:9092, b:9093' }).kafkaBrokers).toEqual(['a:9092', 'b:9093']);
  });

  it('samples the console overview every 5 s unless told, between 100 ms and 60 s', () => {
    expect(loadConfig('all-in-one', {}).overviewSampleMs).toBe(5_000);
    expect(loadConfig('all-in-one', { FLEETMQ_OVERVIEW_SAMPLE_MS: '1000' }).overviewSampleMs).toBe(1_000);
    expect(() => loadConfig('all-in-one', { FLEETMQ_OVERVIEW_SAMPLE_MS: '10' })).toThrow(/FLEETMQ_OVERVIEW_SAMPLE_MS/);
  });

  it('gives the standalone gateway a 10 s drain window and the all-in-one none, validated', () => {
    expect(loadConfig('gateway', separate).drainWindowMs).toBe(10_000);
    expect(loadConfig('all-in-one', {}).drainWindowMs).toBe(0);
    expect(loadConfig('gateway', { ...separate, FLEETMQ_DRAIN_WINDOW_MS: '0' }).drainWindowMs).toBe(0);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_DRAIN_WINDOW_MS: '-1' })).toThrow(/FLEETMQ_DRAIN_WINDOW_MS/);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_DRAIN_WINDOW_MS: 'soon' })).toThrow(/FLEETMQ_DRAIN_WINDOW_MS/);
    expect(loadConfig('all-in-one', { FLEETMQ_DRAIN_WINDOW_MS: '15000' }).drainWindowMs).toBe(15_000);
    expect(() => loadConfig('all-in-one', { FLEETMQ_DRAIN_WINDOW_MS: '15001' })).toThrow(/FLEETMQ_DRAIN_WINDOW_MS: at most 15000/);
  });

  it('reports every bad value at once', () => {
    let error: unknown;
    try {
      loadConfig('all-in-one', { FLEETMQ_MQTT_PORT: 'x', FLEETMQ_ALLOW_ANONYMOUS: 'maybe', LOG_LEVEL: 'loud', FLEETMQ_TLS_CERT: '/c' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('FLEETMQ_MQTT_PORT');
    expect(problems).toContain('FLEETMQ_ALLOW_ANONYMOUS');
    expect(problems).toContain('LOG_LEVEL');
    expect(problems).toContain('FLEETMQ_TLS_KEY');
  });

  it('requires shared secrets when apps run as separate processes', () => {
    expect(() => loadConfig('gateway', { DATABASE_URL: separate.DATABASE_URL })).toThrow(/FLEETMQ_MASTER_KEY is required/);
    expect(() => loadConfig('console', { ...separate, FLEETMQ_ADMIN_TOKEN: undefined })).toThrow(/FLEETMQ_ADMIN_TOKEN is required/);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_MASTER_KEY: 'short' })).toThrow(/32 bytes/);
  });

  it('reads the deny action and the auth-failure limits, with defaults', () => {
    const c = loadConfig('gateway', separate);
    expect(c.denyAction).toBe('ignore');
    expect(c.limits).toMatchObject({ authFailuresPerMinute: 1000, authFailuresPerClient: 5, authBackoffMs: 1000, authBackoffMaxMs: 300_000 });
    expect(loadConfig('gateway', { ...separate, FLEETMQ_DENY_ACTION: 'disconnect' }).denyAction).toBe('disconnect');
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_DENY_ACTION: 'drop' })).toThrow(/FLEETMQ_DENY_ACTION="drop": expected one of ignore, disconnect/);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_AUTH_BACKOFF_MS: '5000', FLEETMQ_AUTH_BACKOFF_MAX_MS: '1000' })).toThrow(/FLEETMQ_AUTH_BACKOFF_MAX_MS/);
  });

  it('rejects a database URL of another kind', () => {
    expect(() => loadConfig('all-in-one', { DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('runs the uplink producer in a worker thread unless FLEETMQ_UPLINK_THREAD=main', () => {
    expect(loadConfig('all-in-one', {}).uplink.thread).toBe('worker');
    expect(loadConfig('all-in-one', { FLEETMQ_UPLINK_THREAD: 'main' }).uplink.thread).toBe('main');
    expect(() => loadConfig('all-in-one', { FLEETMQ_UPLINK_THREAD: 'both' })).toThrow(/FLEETMQ_UPLINK_THREAD="both": expected one of worker, main/);
  });

  it('bounds each persistent session\'s offline queue: 1000 messages and 3 days unless configured', () => {
    expect(loadConfig('all-in-one', {}).offlineQueue).toEqual({ maxMessages: 1_000, maxAgeMs: 259_200_000 });
    const set = loadConfig('gateway', { ...separate, FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES: '50', FLEETMQ_OFFLINE_QUEUE_MAX_AGE_MS: '60000' });
    expect(set.offlineQueue).toEqual({ maxMessages: 50, maxAgeMs: 60_000 });
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES: '0' })).toThrow(/FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES/);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_OFFLINE_QUEUE_MAX_AGE_MS: 'a week' })).toThrow(/FLEETMQ_OFFLINE_QUEUE_MAX_AGE_MS/);
  });

  it('keeps sessions in memory unless FLEETMQ_SESSION_STORE=redis, which needs REDIS_URL', () => {
    expect(loadConfig('all-in-one', {}).sessionStore).toBe('memory');
    expect(loadConfig('gateway', { ...separate, REDIS_URL: 'redis://127.0.0.1:6379' }).sessionStore).toBe('memory');
    const redis = loadConfig('gateway', { ...separate, FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: 'redis://10.0.0.5:6380' });
    expect(redis.sessionStore).toBe('redis');
    expect(redis.redisUrl).toBe('redis://10.0.0.5:6380');
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_SESSION_STORE: 'redis' })).toThrow(/FLEETMQ_SESSION_STORE=redis requires REDIS_URL/);
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_SESSION_STORE: 'disk' })).toThrow(/FLEETMQ_SESSION_STORE="disk": expected one of memory, redis/);
  });

  it('names the downlink group a Redis tier shares: fleetmq-gateway-downlink unless FLEETMQ_DOWNLINK_GROUP says otherwise', () => {
    expect(loadConfig('gateway', separate).downlinkGroup).toBe('fleetmq-gateway-downlink');
    expect(loadConfig('gateway', { ...separate, FLEETMQ_DOWNLINK_GROUP: 'tier-eu.1' }).downlinkGroup).toBe('tier-eu.1');
    expect(() => loadConfig('gateway', { ...separate, FLEETMQ_DOWNLINK_GROUP: 'a b' })).toThrow(/FLEETMQ_DOWNLINK_GROUP/);
  });
});
