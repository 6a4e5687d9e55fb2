import { hostname } from 'node:os';
import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';

export type Env = Record<string, string | undefined>;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** What a denied PUBLISH (or will) gets: acknowledged and dropped, or the connection closed [MQTT-3.3.5-2]. */
export type DenyAction = 'ignore' | 'disconnect';
export const DENY_ACTIONS: readonly DenyAction[] = ['ignore', 'disconnect'];

/** Which process is starting: it decides some defaults (anonymous access, generated secrets). */
export type Role = 'all-in-one' | 'gateway' | 'console' | 'rule-router';

/** Where aedes keeps sessions, subscriptions, offline queues and retained messages, and how nodes share publishes. */
export type SessionStore = 'memory' | 'redis';
export const SESSION_STORES: readonly SessionStore[] = ['memory', 'redis'];
/** Where the uplink's Kafka producer runs: a worker thread of its own (a second core), or the gateway's thread. */
export type UplinkThread = 'worker' | 'main';
export const UPLINK_THREADS: readonly UplinkThread[] = ['worker', 'main'];

export interface MqttLimits {
  /** Largest PUBLISH payload accepted; a larger one closes the connection. */
  maxPayloadBytes: number;
  /** Longest topic name or filter accepted. */
  maxTopicLength: number;
  /** QoS 1/2 messages a client may have in flight towards Kafka before reading pauses. */
  maxInflight: number;
  /** PUBLISH packets per second per connection (0 = unlimited); excess pauses reading. */
  publishRatePerConnection: number;
  /** Time a socket gets to complete CONNECT. */
  connectTimeoutMs: number;
  /** Bytes a socket may send before its CONNECT is accepted. */
  preConnectMaxBytes: number;
  /**
   * Failed CONNECTs per source address per minute before every CONNECT from it gets CONNACK 5
   * unchecked: a ceiling far above one device's failures, as fleets behind carrier NAT share
   * addresses.
   */
  authFailuresPerMinute: number;
  /** Failed CONNECTs of one client ID from one address before it is backed off. */
  authFailuresPerClient: number;
  /** First back-off of a client ID + address; doubles with each further failure. */
  authBackoffMs: number;
  /** Longest back-off. */
  authBackoffMaxMs: number;
  /** Bytes queued towards a subscriber that does not read before it is disconnected. */
  maxOutgoingBufferBytes: number;
}

export interface UplinkSettings {
  /** Where the producer runs (the gateway's thread does MQTT either way). */
  thread: UplinkThread;
  /** How long records wait to join a batch when a request could go at once (0: sent at the end of the event-loop turn). */
  lingerMs: number;
  /** Produce requests in flight at once; records that arrive meanwhile go together in the next one (default 1). */
  maxRequestsInFlight?: number;
  /** Records in one produce request at most. */
  maxBatchRecords: number;
  /** Records waiting for Kafka at most (all clients); beyond it publishers are paused. */
  maxQueuedRecords: number;
  /** QoS 0 records waiting at most; beyond it they are dropped and counted. */
  maxQueuedQos0: number;
}

export interface FleetMqConfig {
  role: Role;
  embedded: boolean;
  nodeId: string;
  logLevel: LogLevel;
  bindHost: string;
  httpPort: number;
  mqttPort: number;
  mqttsPort: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  wsPort: number;
  wsPath: string;
  allowAnonymous: boolean;
  denyAction: DenyAction;
  adminToken?: string;
  masterKey?: string;
  dataDir: string;
  databaseUrl?: string;
  kafkaBrokers?: string[];
  kafkaPartitions: number;
  kafkaReplicationFactor: number;
  kafkaCreateTopics: boolean;
  redisUrl?: string;
  /** 'memory' (one node, the default) or 'redis' (shared by every gateway node on REDIS_URL). */
  sessionStore: SessionStore;
  /** The downlink consumer group the gateway nodes of one tier share (Redis session store only). */
  downlinkGroup: string;
  authCacheTtlMs: number;
  sessionFlushMs: number;
  heartbeatMs: number;
  /** Bounds of each persistent session's QoS 1/2 queue (oldest dropped first), memory and Redis store alike. */
  offlineQueue: { maxMessages: number; maxAgeMs: number };
  /** SIGTERM on a gateway: the window over which its open connections are closed (0: all at once). */
  drainWindowMs: number;
  /** How often the console samples the overview (connections, rates, Kafka and database state) it keeps for 15 minutes. */
  overviewSampleMs: number;
  /** Connections accepted since the last heap compaction that make the next quiet moment compact (0: never). */
  heapCompactAfterConnects: number;
  limits: MqttLimits;
  uplink: UplinkSettings;
}

const ALL_IN_ONE_MAX_DRAIN_WINDOW_MS = 15_000;

const KAFKA_GROUP_ID = /^[A-Za-z0-9._-]{1,200}$/;

const MASTER_KEY = /^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/;

/**
 * Builds the whole configuration from environment variables (names and defaults as in
 * docs/CONFIGURATION.md) and validates it; throws ConfigError listing every bad value.
 */
export function loadConfig(role: Role, env: Env = process.env): FleetMqConfig {
  const r = new EnvReader(env);
  const embedded = role === 'all-in-one' && r.string('DATABASE_URL') === undefined;
  const mqttPort = r.port('FLEETMQ_MQTT_PORT', 1884);
  const config: FleetMqConfig = {
    role,
    embedded,
    nodeId: r.string('FLEETMQ_NODE_ID', `${hostname()}:${mqttPort}`),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    bindHost: r.string('FLEETMQ_BIND_HOST', '0.0.0.0'),
    httpPort: r.port('FLEETMQ_HTTP_PORT', 8080),
    mqttPort,
    mqttsPort: r.port('FLEETMQ_MQTTS_PORT', 8883),
    tlsCertFile: r.string('FLEETMQ_TLS_CERT'),
    tlsKeyFile: r.string('FLEETMQ_TLS_KEY'),
    wsPort: r.port('FLEETMQ_WS_PORT', 8083),
    wsPath: r.string('FLEETMQ_WS_PATH', '/mqtt'),
    allowAnonymous: r.bool('FLEETMQ_ALLOW_ANONYMOUS', role === 'all-in-one' && embedded),
    denyAction: r.oneOf('FLEETMQ_DENY_ACTION', DENY_ACTIONS, 'ignore'),
    adminToken: r.string('FLEETMQ_ADMIN_TOKEN'),
    masterKey: r.string('FLEETMQ_MASTER_KEY'),
    dataDir: r.string('FLEETMQ_DATA_DIR', './.fleetmq'),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    kafkaBrokers: r.list('KAFKA_BROKERS'),
    kafkaPartitions: r.int('FLEETMQ_KAFKA_PARTITIONS', 6, 1, 1000),
    kafkaReplicationFactor: r.int('FLEETMQ_KAFKA_REPLICATION', 1, 1, 10),
    kafkaCreateTopics: r.bool('FLEETMQ_KAFKA_CREATE_TOPICS', true),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    sessionStore: r.oneOf('FLEETMQ_SESSION_STORE', SESSION_STORES, 'memory'),
    downlinkGroup: r.string('FLEETMQ_DOWNLINK_GROUP', 'fleetmq-gateway-downlink'),
    authCacheTtlMs: r.int('FLEETMQ_AUTH_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    sessionFlushMs: r.int('FLEETMQ_SESSION_FLUSH_MS', 1_000, 50, 60_000),
    heartbeatMs: r.int('FLEETMQ_HEARTBEAT_MS', 5_000, 100, 300_000),
    offlineQueue: {
      maxMessages: r.int('FLEETMQ_OFFLINE_QUEUE_MAX_MESSAGES', 1_000, 1, 1_000_000),
      // 3 days, as long as the cloud service keeps QoS 1 offline messages.
      maxAgeMs: r.int('FLEETMQ_OFFLINE_QUEUE_MAX_AGE_MS', 259_200_000, 1_000, 2_592_000_000),
    },
    // The standalone gateway drains by default; the all-in-one only when told (SIGTERM only).
    drainWindowMs: r.int('FLEETMQ_DRAIN_WINDOW_MS', role === 'gateway' ? 10_000 : 0, 0, 600_000),
    overviewSampleMs: r.int('FLEETMQ_OVERVIEW_SAMPLE_MS', 5_000, 100, 60_000),
    heapCompactAfterConnects: r.int('FLEETMQ_HEAP_COMPACT_AFTER_CONNECTS', 1000, 0, 100_000_000),
    limits: {
      maxPayloadBytes: r.int('FLEETMQ_MAX_PAYLOAD_BYTES', 256 * 1024, 1, 256 * 1024 * 1024 - 1),
      maxTopicLength: r.int('FLEETMQ_MAX_TOPIC_LENGTH', 128, 1, 65535),
      maxInflight: r.int('FLEETMQ_MAX_INFLIGHT', 64, 1, 65535),
      publishRatePerConnection: r.int('FLEETMQ_PUBLISH_RATE_PER_CONNECTION', 0, 0, 1_000_000),
      connectTimeoutMs: r.int('FLEETMQ_CONNECT_TIMEOUT_MS', 30_000, 100, 600_000),
      preConnectMaxBytes: r.int('FLEETMQ_PRECONNECT_MAX_BYTES', 64 * 1024, 64, 16 * 1024 * 1024),
      authFailuresPerMinute: r.int('FLEETMQ_AUTH_FAILURES_PER_MINUTE', 1_000, 1, 1_000_000),
      authFailuresPerClient: r.int('FLEETMQ_AUTH_FAILURES_PER_CLIENT', 5, 1, 1_000_000),
      authBackoffMs: r.int('FLEETMQ_AUTH_BACKOFF_MS', 1_000, 1, 3_600_000),
      authBackoffMaxMs: r.int('FLEETMQ_AUTH_BACKOFF_MAX_MS', 300_000, 1, 86_400_000),
      maxOutgoingBufferBytes: r.int('FLEETMQ_MAX_OUTGOING_BUFFER_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    uplink: {
      thread: r.oneOf('FLEETMQ_UPLINK_THREAD', UPLINK_THREADS, 'worker'),
      lingerMs: r.int('FLEETMQ_UPLINK_LINGER_MS', 0, 0, 1000),
      maxRequestsInFlight: r.int('FLEETMQ_UPLINK_MAX_REQUESTS', 1, 1, 16),
      maxBatchRecords: r.int('FLEETMQ_UPLINK_MAX_BATCH', 2000, 1, 100_000),
      maxQueuedRecords: r.int('FLEETMQ_UPLINK_MAX_QUEUED', 50_000, 1, 10_000_000),
      maxQueuedQos0: r.int('FLEETMQ_UPLINK_MAX_QUEUED_QOS0', 20_000, 1, 10_000_000),
    },
  };
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    r.problem('FLEETMQ_TLS_CERT and FLEETMQ_TLS_KEY must be given together');
  }
  if (config.limits.authBackoffMaxMs < config.limits.authBackoffMs) {
    r.problem('FLEETMQ_AUTH_BACKOFF_MAX_MS must not be below FLEETMQ_AUTH_BACKOFF_MS');
  }
  // The all-in-one forces its exit 20 s after the signal (apps/fleetmq/src/shutdown.ts): the drain must end well before.
  if (role === 'all-in-one' && config.drainWindowMs > ALL_IN_ONE_MAX_DRAIN_WINDOW_MS) {
    r.problem(`FLEETMQ_DRAIN_WINDOW_MS: at most ${ALL_IN_ONE_MAX_DRAIN_WINDOW_MS} for the all-in-one process (its stop is forced after 20 s)`);
  }
  if (config.sessionStore === 'redis' && config.redisUrl === undefined) {
    r.problem('FLEETMQ_SESSION_STORE=redis requires REDIS_URL');
  }
  if (!KAFKA_GROUP_ID.test(config.downlinkGroup)) r.problem('FLEETMQ_DOWNLINK_GROUP: 1 to 200 of A-Z a-z 0-9 . _ -');
  if (!config.wsPath.startsWith('/')) r.problem('FLEETMQ_WS_PATH: must start with /');
  if (config.masterKey !== undefined && !MASTER_KEY.test(config.masterKey)) {
    r.problem('FLEETMQ_MASTER_KEY: expected 32 bytes as 64 hex characters or base64');
  }
  if (config.adminToken !== undefined && config.adminToken.length < 16) {
    r.problem('FLEETMQ_ADMIN_TOKEN: must be at least 16 characters');
  }
  // Separate processes must share the key that encrypts access-key secrets; only the
  // all-in-one start may generate and persist one.
  if (role !== 'all-in-one' && role !== 'rule-router' && config.masterKey === undefined) {
    r.problem('FLEETMQ_MASTER_KEY is required when apps run as separate processes');
  }
  if (role !== 'all-in-one' && config.databaseUrl === undefined) {
    r.problem('DATABASE_URL is required when apps run as separate processes');
  }
  if (role === 'console' && config.adminToken === undefined) {
    r.problem('FLEETMQ_ADMIN_TOKEN is required when the console runs as a separate process');
  }
  r.finish();
  return config;
}

/** For process entry points: a bad environment prints every problem and exits with code 2. */
export function loadConfigOrExit(role: Role, env: Env = process.env): FleetMqConfig {
  try {
    return loadConfig(role, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`fleetmq ${role}: ${err.message}\n`);
    process.exit(2);
  }
}
