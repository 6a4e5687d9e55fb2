/** Messages between the runner and its generator processes (child_process IPC). */
import type { ReceiptData } from './receipts.js';

export type Auth =
  | { mode: 'none' }
  | { mode: 'signature'; accessKeyId: string; secret: string; instanceId: string };

export interface PoolSpec {
  pool: string;
  host: string;
  port: number;
  count: number;
  /** Client IDs are `${idPrefix}${startIndex + i}`. */
  idPrefix: string;
  startIndex: number;
  /** Source addresses used round-robin (127.0.0.2, ...) so ephemeral ports never run out. */
  localAddresses: string[];
  keepalive: number;
  clean: boolean;
  concurrency: number;
  timeoutMs: number;
  auth: Auth;
  /** Topics to subscribe after CONNACK; `{id}` is replaced by the client ID. */
  subscribe?: { topics: string[]; qos: 0 | 1 };
}

export interface ConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  elapsedMs: number;
  /** Time from the first attempt to each CONNACK (ms), for connect latency. */
  latency: HistogramData;
}

export interface HistogramData {
  counts: number[];
  max: number;
}

export interface FanInSpec {
  host: string;
  port: number;
  clients: number;
  idPrefix: string;
  localAddresses: string[];
  auth: Auth;
  qos: 0 | 1;
  payloadBytes: number;
  inflight: number;
  /** `{id}` is replaced by the client ID. */
  topic: string;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  runTag: number;
}

export interface FanInResult {
  clients: number;
  sent: number;
  acked: number;
  unexpectedAcks: number;
  outstandingAfterDrain: number;
  windowMs: number;
  /**
   * QoS 1: PUBACKs inside the measurement window. QoS 0: messages whose following QoS 1 marker
   * was acknowledged inside the window (read by the broker, not just buffered by the kernel).
   * For QoS 0, `acked` counts confirmed QoS 0 messages and `outstandingAfterDrain` markers.
   */
  windowCount: number;
  latency: HistogramData;
  disconnects: number;
  windowStartMs: number;
  windowEndMs: number;
}

export interface ReceiverCounters extends ReceiptData {
  foreign: number;
  open: number;
  closed: number;
}

export interface PublishSpec {
  host: string;
  port: number;
  clientId: string;
  localAddress: string;
  auth: Auth;
  qos: 0 | 1;
  payloadBytes: number;
  /** Topics to publish to, chosen round-robin (broadcast) or at random (P2P). */
  topics: string[];
  random: boolean;
  count: number;
  inflight: number;
  /** Pause between messages (broadcast pacing); 0 = as fast as acknowledgements allow. */
  intervalMs: number;
  maxMs: number;
  runTag: number;
}

export interface PublishResult {
  sent: number;
  acked: number;
  elapsedMs: number;
  latency: HistogramData;
}

export interface KafkaConsumeSpec {
  brokers: string[];
  topic: string;
  groupId: string;
}

export interface KafkaProduceSpec {
  brokers: string[];
  topic: string;
  records: Array<{ key: string; headers: Record<string, string> }>;
  payloadBytes: number;
  /** Records per sendBatch call. */
  batch: number;
  intervalMs: number;
  runTag: number;
}

/** MQTT.js devices of the fixed-rate scenario. */
export interface RateConnectSpec {
  pool: string;
  host: string;
  port: number;
  count: number;
  /** Client IDs are `${idPrefix}0..count-1`. */
  idPrefix: string;
  auth: Auth;
  /** A topic filter each device subscribes to (QoS 0) after CONNACK. */
  subscribe?: string;
}

export interface RatePublishSpec {
  pool: string;
  /** `{id}` is replaced by the publishing device's client ID. */
  topic: string;
  ratePerSec: number;
  durationMs: number;
  payloadBytes: number;
  runTag: number;
}

export interface RateProduceSpec {
  brokers: string[];
  topic: string;
  /** Used in turn, one per record. */
  records: Array<{ key: string; headers: Record<string, string> }>;
  /** A header given a value of its own in every record (the downlink message ID: the Redis store claims each broadcast by it). */
  uniqueHeader?: string;
  ratePerSec: number;
  durationMs: number;
  payloadBytes: number;
  runTag: number;
}

export interface RateConsumeSpec {
  brokers: string[];
  topics: string[];
  groupId: string;
}

/** What a fixed-rate sender sent, and how long acknowledgements (PUBACK, Kafka's) took. */
export interface RateSendResult {
  sent: number;
  acked: number;
  failed: number;
  latency: HistogramData;
}

export type Request =
  | { op: 'connect'; spec: PoolSpec }
  | { op: 'reconnect'; pool: string; localAddresses: string[]; concurrency: number }
  | { op: 'close'; pool: string }
  | { op: 'pauseReading'; pool: string }
  | { op: 'resumeReading'; pool: string }
  | { op: 'counters'; pool: string; runTag: number; remove: boolean }
  | { op: 'fanIn'; spec: FanInSpec }
  | { op: 'publish'; spec: PublishSpec }
  | { op: 'kafkaConsume'; spec: KafkaConsumeSpec }
  | { op: 'kafkaCounters'; runTag: number; remove: boolean }
  | { op: 'kafkaStop' }
  | { op: 'kafkaProduce'; spec: KafkaProduceSpec }
  | { op: 'rateConnect'; spec: RateConnectSpec }
  | { op: 'ratePublish'; spec: RatePublishSpec }
  | { op: 'rateCounters'; pool: string; runTag: number; remove: boolean }
  | { op: 'rateClose'; pool: string }
  | { op: 'rateProduce'; spec: RateProduceSpec }
  | { op: 'rateConsume'; spec: RateConsumeSpec }
  | { op: 'rateConsumed'; runTag: number; remove: boolean }
  | { op: 'exit' };

export type FromWorker =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string }
  | { kind: 'progress'; text: string };
