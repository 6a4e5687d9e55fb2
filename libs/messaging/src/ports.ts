import type { ProducerEvent } from './messaging.events.js';
import type { ControlCommand, Done, DownlinkInput, DownlinkMessage, PresenceEvent, UplinkMessage } from './types.js';

/**
 * The interfaces apps depend on; Kafka (kafka/) and the in-process bus (in-process/) implement
 * them, so no app needs kafkajs to compile or to run.
 */

export interface UplinkCounters {
  produced: number;
  failedAttempts: number;
  droppedQos0: number;
  rejected: number;
  queued: number;
  inFlight: number;
  batches: number;
}

/** Where device PUBLISHes go (gateway). */
export interface UplinkSink {
  start(): Promise<void>;
  /** Sends what is queued first, then stops; unacknowledged records get an error after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** `done()` once the record is durable (Kafka acknowledged), `done(err)` if it never will be. */
  send(msg: UplinkMessage, done: Done): void;
  /** Too much waits for Kafka: stop reading publishers until `resumed`. */
  isSaturated(): boolean;
  on(event: ProducerEvent, listener: () => void): unknown;
  off(event: ProducerEvent, listener: () => void): unknown;
  readonly uplinkCounters: UplinkCounters;
}

/** Sends messages to devices (console, rule-router). Resolves with the record's msgId once durable. */
export interface DownlinkSink {
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(msg: DownlinkInput): Promise<string>;
  /** In order, as one request where possible. */
  publishMany(msgs: readonly DownlinkInput[]): Promise<string[]>;
}

export type DownlinkHandler = (msg: DownlinkMessage) => Promise<void> | void;

/** Receives every downlink message (gateway: each node sees all of them). */
export interface DownlinkSource {
  /** Resolves once subscribed (for Kafka: joined its group). */
  start(handler: DownlinkHandler): Promise<void>;
  stop(): Promise<void>;
}

/** Presence events, fire-and-forget (gateway). */
export interface PresenceSink {
  start(): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
  /** Never throws nor blocks; dropped and counted when its queue is full. */
  publish(event: PresenceEvent): void;
}

export type ControlHandler = (command: ControlCommand) => Promise<void> | void;

/** Control commands: every process receives every command published after it started. */
export interface ControlChannel {
  start(handler: ControlHandler): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once durable. */
  publish(command: ControlCommand): Promise<void>;
}

/** Everything a process needs, backed by Kafka or by the in-process bus. */
export interface Messaging {
  readonly kind: 'kafka' | 'in-process';
  /** Creates the internal topics (Kafka, when configured to). */
  start(): Promise<void>;
  /** Stops every component made through it, the uplink drained first. */
  stop(): Promise<void>;
  /** Resolves when the broker answers a metadata request (readiness); the in-process bus always does. */
  ping(): Promise<void>;
  /** One per process. */
  uplink(): UplinkSink;
  /** One per process. */
  downlinkSink(): DownlinkSink;
  /** One per process. */
  presence(): PresenceSink;
  /**
   * Consumer group `fleetmq-control-<role>-<nodeId>`, from the latest record. Each call is a new
   * channel: in the all-in-one process the gateway and the router pass their own `role`.
   */
  control(role?: string): ControlChannel;
  /** Each call is a new consumer (group `fleetmq-gateway-<nodeId>`): one per gateway node. */
  downlinkSource(): DownlinkSource;
}
