import { EventEmitter } from 'node:events';
import type { Message } from 'kafkajs';
import type { Logger } from '#config';
import { MessagingStoppedError, QueueFullError, RecordRejectedError } from '../errors.js';
import { PRODUCER_EVENTS } from '../messaging.events.js';
import { createBackoff, type BackoffOptions, type BackoffPolicy } from '../retry/backoff.js';
import type { Done } from '../types.js';
import { Backpressure } from './batching/backpressure.js';
import { Lane, finish, sizeOf, type Entry } from './batching/lane.js';
import { isRecordRejection, messageOf, produceOnce } from './batching/produce-attempt.js';
import { ProducerHealth } from './batching/producer-health.js';
import type { ProducerFactory, ProducerLike } from './producer-like.js';
import { ProducerSlot } from './producer-slot.js';

export interface BatchingProducerOptions {
  /** Name in logs and errors ("uplink", "presence"). */
  name: string;
  topic: string;
  createProducer: ProducerFactory;
  logger: Logger;
  /**
   * How long a record waits for others to join its batch when a request could go at once (0:
   * it goes at the end of the event-loop turn). Records that arrive while every request slot is
   * taken wait for an acknowledgement either way, and go together in the next request.
   */
  lingerMs: number;
  /** Records in one produce request at most. */
  maxBatchRecords: number;
  /** Bytes (keys + values) in one produce request at most: Kafka refuses a record batch over message.max.bytes (~1 MB). */
  maxBatchBytes?: number;
  /** Guaranteed records waiting (queued + in flight) before `saturated` is reported; they are still accepted. */
  maxQueuedRecords: number;
  /** Droppable records waiting at most; beyond it they are dropped and counted. */
  maxQueuedDroppable: number;
  /** Backoff between attempts of a failed batch. */
  backoff?: Partial<BackoffOptions>;
  /** A produce attempt that has not settled by then counts as failed (guards against a hung client). */
  attemptTimeoutMs?: number;
  /** Broker-side wait for the in-sync replicas (acks=all). */
  ackTimeoutMs?: number;
  /**
   * Independent lanes, each with its own queue and at most one batch in flight (default 1).
   * The caller puts every record of one key in the same lane (UplinkProducer: the key's
   * partition), so per-key order holds while lanes are acknowledged and retried apart.
   */
  lanes?: number;
  /**
   * Produce requests in flight at once (default 1). A request carries the next batch of every
   * lane that has records and none in flight; a lane retried after a failure sends alone,
   * outside this count, so that it holds back only itself.
   */
  maxRequestsInFlight?: number;
}

/** Plain numbers, read by metrics. */
export interface ProducerCounters {
  /** Records acknowledged by Kafka. */
  produced: number;
  /** Produce attempts that failed (each is retried). */
  failedAttempts: number;
  /** Droppable records refused because their queue was full. */
  dropped: number;
  /** Records Kafka refused for good (e.g. too large): their callback got RecordRejectedError. */
  rejected: number;
  /** Records waiting for a batch. */
  queued: number;
  /** Records of the batches being sent (all lanes). */
  inFlight: number;
  /** Batches acknowledged. */
  batches: number;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

/** Defaults of the optional BatchingProducerOptions. */
const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * Accumulates records and produces them with `sendBatch`, acks=all, at most one batch per lane
 * in flight. Batching is Nagle-like: while a request slot is free, records go at the end of the
 * event-loop turn they came in (no fixed linger); while the slots are taken, records accumulate
 * and go together, every lane's next batch in one request, as soon as an acknowledgement frees
 * a slot. So an idle producer adds no delay, and a busy one sends fewer, larger requests (one
 * per broker, where a request per lane would queue behind each other on the connection).
 * A failed batch is retried as a whole, with backoff, ahead of newer records of its lane, on a
 * fresh kafkajs producer (kafkajs#628, #907), until Kafka acknowledges it; a lane being retried
 * sends alone, so it holds back only itself. So the records of a lane keep their order
 * (duplicates are possible, reordering is not) and a callback fires only after Kafka's
 * acknowledgement. Guaranteed records are never dropped; past `maxQueuedRecords` (all lanes)
 * the producer reports saturation so that callers stop reading.
 *
 * This file batches and sequences; the pieces live in batching/: a lane's queue (lane.ts), one
 * produce attempt and what its errors mean (produce-attempt.ts), saturation and the droppable
 * limit (backpressure.ts), and the unavailable/recovered state (producer-health.ts).
 */
export class BatchingProducer extends EventEmitter {
  readonly counters: ProducerCounters = { produced: 0, failedAttempts: 0, dropped: 0, rejected: 0, queued: 0, inFlight: 0, batches: 0 };

  protected readonly laneCount: number;
  private readonly opts: Required<Omit<BatchingProducerOptions, 'backoff' | 'lanes' | 'maxRequestsInFlight'>>;
  private readonly maxRequests: number;
  /** Requests in flight that take a slot (every one but a lane's retry). */
  private requestsInFlight = 0;
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;
  private readonly lanes: Lane[];
  private readonly queueFull: QueueFullError;
  private readonly pressure: Backpressure;
  private readonly health: ProducerHealth;
  private state: State = 'new';
  private readonly producer: ProducerSlot;
  private lingerTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(options: BatchingProducerOptions) {
    super();
    const { backoff, lanes, maxRequestsInFlight, ...rest } = options;
    this.queueFull = new QueueFullError(options.name);
    this.opts = {
      ...rest,
      maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    };
    this.laneCount = Math.max(1, Math.floor(lanes ?? 1));
    this.maxRequests = Math.max(1, Math.floor(maxRequestsInFlight ?? 1));
    this.lanes = Array.from({ length: this.laneCount }, () => new Lane());
    this.backoff = createBackoff(backoff);
    this.log = options.logger;
    this.producer = new ProducerSlot(options.createProducer);
    this.pressure = new Backpressure(options, (saturated) => this.emit(saturated ? PRODUCER_EVENTS.saturated : PRODUCER_EVENTS.resumed));
    this.health = new ProducerHealth(options.name, options.logger, (available) => this.emit(available ? PRODUCER_EVENTS.recovered : PRODUCER_EVENTS.unavailable));
  }

  /** Connects once; if Kafka is not there yet, records are held and retried until it is. */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    try {
      await this.producer.get();
    } catch (error) {
      this.health.failed(error, this.holding());
    }
    this.flushAll();
  }

  /**
   * Queues a record that must reach Kafka in `lane` (0 .. lanes-1; the same lane for every record
   * that must stay in order); `done` fires once Kafka acknowledged it, or with an error if it
   * never will be.
   */
  enqueueGuaranteed(record: Message, done: Done | undefined, lane = 0): void {
    this.enqueue(record, false, done, lane);
  }

  /** Like enqueueGuaranteed, but refused (QueueFullError, counted) while `maxQueuedDroppable` of them wait. */
  enqueueDroppable(record: Message, done: Done | undefined, lane = 0): void {
    this.enqueue(record, true, done, lane);
  }

  isSaturated(): boolean {
    return this.pressure.saturated;
  }

  /** True while Kafka failed the last attempt and records are being held. */
  isUnavailable(): boolean {
    return this.health.unavailable;
  }

  /**
   * Stops accepting records, sends what is queued and in flight (kafkajs#879: its disconnect
   * would drop in-flight retries), then disconnects. Records still unacknowledged after
   * `timeoutMs` get MessagingStoppedError: never acknowledged, so their senders retry.
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    if (this.state === 'stopped') return;
    const wasStarted = this.state !== 'new';
    this.state = 'stopping';
    this.clearLinger();
    if (wasStarted) this.flushAll();
    if (wasStarted && !this.drained()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.state = 'stopped';
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const left: Entry[] = [];
    for (const lane of this.lanes) left.push(...lane.clear());
    this.counters.queued = 0;
    this.counters.inFlight = 0;
    if (left.length > 0) {
      this.log.warn({ records: left.length }, `${this.opts.name}: stopped with records Kafka never acknowledged`);
      const error = new MessagingStoppedError(`${this.opts.name} producer`);
      for (const e of left) finish(e, error, this.log);
    }
    await this.producer.close();
  }

  private enqueue(record: Message, droppable: boolean, done: Done | undefined, lane: number): void {
    if (this.state === 'stopping' || this.state === 'stopped') {
      if (done) process.nextTick(done, new MessagingStoppedError(`${this.opts.name} producer`));
      return;
    }
    if (droppable && !this.pressure.admitDroppable()) {
      this.counters.dropped++;
      // One shared error: a new one per dropped record (stack capture) cost a quarter of the CPU at QoS 0 saturation.
      if (done) process.nextTick(done, this.queueFull);
      return;
    }
    const l = this.lanes[lane] ?? this.lanes[0]!;
    l.push({ record, bytes: sizeOf(record.key) + sizeOf(record.value), droppable, done });
    this.counters.queued++;
    if (!droppable) this.pressure.addGuaranteed();
    this.schedule(l);
  }

  // ------------------------------------------------------------------ batching

  private schedule(lane: Lane): void {
    // A lane with a batch in flight sends its next one when that batch settles; with every
    // request slot taken, the next acknowledgement sends what accumulated.
    if (lane.inFlight !== null || this.requestsInFlight >= this.maxRequests || this.state === 'new' || this.state === 'stopped') return;
    if (lane.size >= this.opts.maxBatchRecords || lane.bytes >= this.opts.maxBatchBytes || this.opts.lingerMs === 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flushAll();
      });
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.flushAll();
      }, this.opts.lingerMs);
    }
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /** While a request slot is free: one request with the next batch of every lane that has records and nothing in flight. */
  private flushAll(): void {
    this.clearLinger();
    if (this.state === 'new' || this.state === 'stopped' || this.requestsInFlight >= this.maxRequests) return;
    let lanes: Lane[] | undefined;
    for (const lane of this.lanes) {
      if (lane.inFlight !== null || lane.size === 0) continue;
      this.take(lane);
      (lanes ??= []).push(lane);
    }
    if (lanes !== undefined) void this.produce(lanes, true);
  }

  /** Takes the lane's next batch off its queue: in flight from now on. */
  private take(lane: Lane): void {
    const batch = lane.take(this.opts.maxBatchRecords, this.opts.maxBatchBytes);
    for (const e of batch) if (e.droppable) this.pressure.queuedDroppable--;
    this.counters.queued -= batch.length;
    lane.inFlight = batch;
    lane.attempt = 0;
    this.counters.inFlight += batch.length;
  }

  /**
   * One produce request with the batch in flight of each of `lanes`. `slot`: it takes a request
   * slot (a lane's retry, sent alone, does not).
   */
  private async produce(lanes: Lane[], slot: boolean): Promise<void> {
    const batches = new Array<Entry[]>(lanes.length);
    let count = 0;
    for (let i = 0; i < lanes.length; i++) count += (batches[i] = lanes[i]!.inFlight!).length;
    if (slot) this.requestsInFlight++;
    let producer: ProducerLike | undefined;
    try {
      producer = await this.producer.get();
      const messages = new Array<Message>(count);
      let n = 0;
      for (const batch of batches) for (const e of batch) messages[n++] = e.record;
      await produceOnce(producer, { topic: this.opts.topic, messages, ackTimeoutMs: this.opts.ackTimeoutMs, attemptTimeoutMs: this.opts.attemptTimeoutMs });
    } catch (error) {
      if (slot) this.requestsInFlight--;
      this.onRequestFailed(lanes, batches, error, producer);
      return;
    }
    if (slot) this.requestsInFlight--;
    for (let i = 0; i < lanes.length; i++) if (lanes[i]!.inFlight === batches[i]) this.onSuccess(lanes[i]!, batches[i]!);
    this.afterRequest();
  }

  private onRequestFailed(lanes: Lane[], batches: Entry[][], error: unknown, producer: ProducerLike | undefined): void {
    if (lanes.length === 1) {
      if (lanes[0]!.inFlight === batches[0]) this.onFailure(lanes[0]!, batches[0]!, error, producer);
      this.afterRequest();
      return;
    }
    // Lanes that failed together are each retried alone, at once: a lane Kafka refuses or
    // cannot take then holds back only itself, and the others go on together.
    this.counters.failedAttempts++;
    if (producer !== undefined && !isRecordRejection(error)) this.producer.drop(producer);
    for (let i = 0; i < lanes.length; i++) if (lanes[i]!.inFlight === batches[i]) void this.produce([lanes[i]!], false);
    this.afterRequest();
  }

  private onSuccess(lane: Lane, batch: Entry[]): void {
    lane.inFlight = null;
    lane.attempt = 0;
    this.counters.inFlight -= batch.length;
    this.counters.produced += batch.length;
    this.counters.batches++;
    this.health.succeeded(lane, this.counters.failedAttempts);
    this.release(batch);
    for (const e of batch) finish(e, undefined, this.log);
  }

  private onFailure(lane: Lane, batch: Entry[], error: unknown, producer: ProducerLike | undefined): void {
    this.counters.failedAttempts++;
    if (isRecordRejection(error)) {
      this.onRejected(lane, batch, error);
      return;
    }
    // Only the producer this attempt used: another lane may already have replaced it.
    if (producer !== undefined) this.producer.drop(producer);
    this.health.failed(error, this.holding(), lane);
    if (this.state === 'stopped') return;
    lane.retryTimer = setTimeout(() => {
      lane.retryTimer = undefined;
      if (lane.inFlight === batch) void this.produce([lane], false);
    }, this.backoff.delay(lane.attempt++));
  }

  /** Kafka refuses the records themselves: halve the batch to isolate the culprit, which alone fails. */
  private onRejected(lane: Lane, batch: Entry[], error: unknown): void {
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const rest = batch.slice(half);
      const first = batch.slice(0, half);
      // The second half goes back to the head of its lane, ahead of newer records.
      lane.putBack(rest);
      for (const e of rest) if (e.droppable) this.pressure.queuedDroppable++;
      this.counters.queued += rest.length;
      this.counters.inFlight -= rest.length;
      lane.inFlight = first;
      void this.produce([lane], false);
      return;
    }
    this.counters.rejected += batch.length;
    this.counters.inFlight -= batch.length;
    lane.inFlight = null;
    this.log.warn({ err: error }, `${this.opts.name}: kafka refused a record`);
    this.release(batch);
    const rejection = new RecordRejectedError(`kafka refused the record: ${messageOf(error)}`, { cause: error });
    for (const e of batch) finish(e, rejection, this.log);
  }

  private release(batch: Entry[]): void {
    let guaranteed = 0;
    for (const e of batch) if (!e.droppable) guaranteed++;
    this.pressure.releaseGuaranteed(guaranteed);
  }

  /** A request settled: records that arrived meanwhile have waited long enough. */
  private afterRequest(): void {
    this.flushAll();
    if (this.state === 'stopping' && this.drained()) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  private drained(): boolean {
    if (this.counters.queued > 0) return false;
    for (const lane of this.lanes) if (lane.inFlight !== null) return false;
    return true;
  }

  private holding(): number {
    return this.counters.queued + this.counters.inFlight;
  }
}
