import { EventEmitter } from 'node:events';
import type { Message } from 'kafkajs';
import type { Logger } from '#config';
import { MessagingStoppedError, QueueFullError, RecordRejectedError } from '../errors.js';
import { PRODUCER_EVENTS } from '../messaging.events.js';
import { createBackoff, type BackoffOptions, type BackoffPolicy } from '../retry/backoff.js';
import type { Done } from '../types.js';
import type { ProducerFactory, ProducerLike } from './producer-like.js';
import { ProducerSlot } from './producer-slot.js';

export interface BatchingProducerOptions {
  /** Name in logs and errors ("uplink", "presence"). */
  name: string;
  topic: string;
  createProducer: ProducerFactory;
  logger: Logger;
  /** How long a record waits for others to join its batch. */
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
   * partition), so per-key order holds while lanes are sent, acknowledged and retried apart.
   */
  lanes?: number;
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

interface Entry {
  record: Message;
  bytes: number;
  droppable: boolean;
  done: Done | undefined;
}

/** One ordered stream of records: a queue, and at most one batch in flight (or waiting to be retried). */
class Lane {
  queue: Entry[] = [];
  head = 0;
  bytes = 0;
  inFlight: Entry[] | null = null;
  attempt = 0;
  /** The last attempt failed: counts towards the producer's "unavailable" state. */
  failing = false;
  retryTimer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.queue.length - this.head;
  }
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

/** kafkajs error types that say the records themselves are refused: retrying the same request cannot help. */
const REJECTING_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/**
 * Accumulates records and produces them with `sendBatch`, acks=all, one batch per lane at a
 * time; lanes are independent, so several batches (one per lane) may be in flight together.
 * A failed batch is retried as a whole, with backoff, ahead of newer records of its lane, on a
 * fresh kafkajs producer (kafkajs#628, #907), until Kafka acknowledges it; it holds back only
 * its own lane. So the records of a lane keep their order (duplicates are possible, reordering
 * is not) and a callback fires only after Kafka's acknowledgement. Guaranteed records are never
 * dropped; past `maxQueuedRecords` (all lanes) the producer reports saturation so that callers
 * stop reading.
 */
export class BatchingProducer extends EventEmitter {
  readonly counters: ProducerCounters = { produced: 0, failedAttempts: 0, dropped: 0, rejected: 0, queued: 0, inFlight: 0, batches: 0 };

  protected readonly laneCount: number;
  private readonly opts: Required<Omit<BatchingProducerOptions, 'backoff' | 'lanes'>>;
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;
  private readonly lanes: Lane[];
  private readonly queueFull: QueueFullError;
  private state: State = 'new';
  private queuedDroppable = 0;
  /** Guaranteed (non-droppable) records queued or in flight: what saturation counts. */
  private pendingGuaranteed = 0;
  private failingLanes = 0;
  private readonly producer: ProducerSlot;
  private lingerTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private unavailableSince = 0;
  private saturated = false;
  private drainWaiters: Array<() => void> = [];

  constructor(options: BatchingProducerOptions) {
    super();
    const { backoff, lanes, ...rest } = options;
    this.queueFull = new QueueFullError(options.name);
    this.opts = {
      ...rest,
      maxBatchBytes: options.maxBatchBytes ?? 512 * 1024,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 30_000,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
    };
    this.laneCount = Math.max(1, Math.floor(lanes ?? 1));
    this.lanes = Array.from({ length: this.laneCount }, () => new Lane());
    this.backoff = createBackoff(backoff);
    this.log = options.logger;
    this.producer = new ProducerSlot(options.createProducer);
  }

  /** Connects once; if Kafka is not there yet, records are held and retried until it is. */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    try {
      await this.producer.get();
    } catch (error) {
      this.markUnavailable(error);
    }
    this.flushAll();
  }

  /**
   * Queues a record in `lane` (0 .. lanes-1; the same lane for every record that must stay in
   * order); `done` fires once Kafka acknowledged it, or with an error if it never will be.
   */
  enqueue(record: Message, droppable: boolean, done: Done | undefined, lane = 0): void {
    if (this.state === 'stopping' || this.state === 'stopped') {
      if (done) process.nextTick(done, new MessagingStoppedError(`${this.opts.name} producer`));
      return;
    }
    if (droppable && this.queuedDroppable >= this.opts.maxQueuedDroppable) {
      this.counters.dropped++;
      // One shared error: a new one per dropped record (stack capture) cost a quarter of the CPU at QoS 0 saturation.
      if (done) process.nextTick(done, this.queueFull);
      return;
    }
    const l = this.lanes[lane] ?? this.lanes[0]!;
    const bytes = sizeOf(record.key) + sizeOf(record.value);
    l.queue.push({ record, bytes, droppable, done });
    l.bytes += bytes;
    this.counters.queued++;
    if (droppable) this.queuedDroppable++;
    else if (++this.pendingGuaranteed >= this.opts.maxQueuedRecords && !this.saturated) {
      this.saturated = true;
      this.emit(PRODUCER_EVENTS.saturated);
    }
    this.schedule(l);
  }

  isSaturated(): boolean {
    return this.saturated;
  }

  /** True while Kafka failed the last attempt and records are being held. */
  isUnavailable(): boolean {
    return this.unavailableSince !== 0;
  }

  /**
   * Stops accepting records, sends what is queued and in flight (kafkajs#879: its disconnect
   * would drop in-flight retries), then disconnects. Records still unacknowledged after
   * `timeoutMs` get MessagingStoppedError: never acknowledged, so their senders retry.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
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
    for (const lane of this.lanes) {
      if (lane.retryTimer) clearTimeout(lane.retryTimer);
      lane.retryTimer = undefined;
      if (lane.inFlight) left.push(...lane.inFlight);
      left.push(...lane.queue.slice(lane.head));
      lane.inFlight = null;
      lane.queue = [];
      lane.head = 0;
      lane.bytes = 0;
    }
    this.counters.queued = 0;
    this.counters.inFlight = 0;
    if (left.length > 0) {
      this.log.warn({ records: left.length }, `${this.opts.name}: stopped with records Kafka never acknowledged`);
      const error = new MessagingStoppedError(`${this.opts.name} producer`);
      for (const e of left) finish(e, error, this.log);
    }
    await this.producer.close();
  }

  // ------------------------------------------------------------------ batching

  private schedule(lane: Lane): void {
    // A lane with a batch in flight sends its next one when that batch settles.
    if (lane.inFlight !== null || this.state === 'new' || this.state === 'stopped') return;
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

  /** Sends the next batch of every lane that has records and nothing in flight. */
  private flushAll(): void {
    this.clearLinger();
    for (const lane of this.lanes) this.flush(lane);
  }

  /** Takes the lane's next batch off its queue and sends it, if nothing of the lane is in flight. */
  private flush(lane: Lane): void {
    if (lane.inFlight !== null || lane.size === 0 || this.state === 'new' || this.state === 'stopped') return;
    const batch: Entry[] = [];
    let bytes = 0;
    while (lane.head < lane.queue.length && batch.length < this.opts.maxBatchRecords) {
      const e = lane.queue[lane.head]!;
      if (batch.length > 0 && bytes + e.bytes > this.opts.maxBatchBytes) break;
      batch.push(e);
      bytes += e.bytes;
      lane.head++;
      if (e.droppable) this.queuedDroppable--;
    }
    lane.bytes -= bytes;
    this.counters.queued -= batch.length;
    compact(lane);
    lane.inFlight = batch;
    lane.attempt = 0;
    this.counters.inFlight += batch.length;
    void this.produce(lane, batch);
  }

  private async produce(lane: Lane, batch: Entry[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let producer: ProducerLike | undefined;
    try {
      producer = await this.producer.get();
      const messages = new Array<Message>(batch.length);
      for (let i = 0; i < batch.length; i++) messages[i] = batch[i]!.record;
      await Promise.race([
        producer.sendBatch({ acks: -1, timeout: this.opts.ackTimeoutMs, topicMessages: [{ topic: this.opts.topic, messages }] }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`produce did not settle in ${this.opts.attemptTimeoutMs} ms`)), this.opts.attemptTimeoutMs);
        }),
      ]);
    } catch (error) {
      clearTimeout(timer);
      if (lane.inFlight === batch) this.onFailure(lane, batch, error, producer);
      return;
    }
    clearTimeout(timer);
    if (lane.inFlight === batch) this.onSuccess(lane, batch);
  }

  private onSuccess(lane: Lane, batch: Entry[]): void {
    lane.inFlight = null;
    lane.attempt = 0;
    this.counters.inFlight -= batch.length;
    this.counters.produced += batch.length;
    this.counters.batches++;
    if (lane.failing) {
      lane.failing = false;
      this.failingLanes--;
    }
    if (this.unavailableSince !== 0 && this.failingLanes === 0) {
      this.log.info(
        { downMs: Date.now() - this.unavailableSince, failedAttempts: this.counters.failedAttempts },
        `${this.opts.name}: kafka recovered`,
      );
      this.unavailableSince = 0;
      this.emit(PRODUCER_EVENTS.recovered);
    }
    this.release(batch);
    for (const e of batch) finish(e, undefined, this.log);
    this.afterBatch(lane);
  }

  private onFailure(lane: Lane, batch: Entry[], error: unknown, producer: ProducerLike | undefined): void {
    this.counters.failedAttempts++;
    if (isRecordRejection(error)) {
      this.onRejected(lane, batch, error);
      return;
    }
    // Only the producer this attempt used: another lane may already have replaced it.
    if (producer !== undefined) this.producer.drop(producer);
    if (!lane.failing) {
      lane.failing = true;
      this.failingLanes++;
    }
    this.markUnavailable(error);
    if (this.state === 'stopped') return;
    lane.retryTimer = setTimeout(() => {
      lane.retryTimer = undefined;
      if (lane.inFlight === batch) void this.produce(lane, batch);
    }, this.backoff.delay(lane.attempt++));
  }

  /** Kafka refuses the records themselves: halve the batch to isolate the culprit, which alone fails. */
  private onRejected(lane: Lane, batch: Entry[], error: unknown): void {
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const rest = batch.slice(half);
      const first = batch.slice(0, half);
      // The second half goes back to the head of its lane, ahead of newer records.
      lane.queue.splice(lane.head, 0, ...rest);
      for (const e of rest) {
        lane.bytes += e.bytes;
        if (e.droppable) this.queuedDroppable++;
      }
      this.counters.queued += rest.length;
      this.counters.inFlight -= rest.length;
      lane.inFlight = first;
      void this.produce(lane, first);
      return;
    }
    this.counters.rejected += batch.length;
    this.counters.inFlight -= batch.length;
    lane.inFlight = null;
    this.log.warn({ err: error }, `${this.opts.name}: kafka refused a record`);
    this.release(batch);
    const rejection = new RecordRejectedError(`kafka refused the record: ${messageOf(error)}`, { cause: error });
    for (const e of batch) finish(e, rejection, this.log);
    this.afterBatch(lane);
  }

  private release(batch: Entry[]): void {
    for (const e of batch) if (!e.droppable) this.pendingGuaranteed--;
    if (this.saturated && this.pendingGuaranteed <= this.opts.maxQueuedRecords / 2) {
      this.saturated = false;
      this.emit(PRODUCER_EVENTS.resumed);
    }
  }

  private afterBatch(lane: Lane): void {
    if (lane.size > 0) {
      // Records that arrived while the batch was in flight have waited long enough.
      this.flush(lane);
    } else if (this.state === 'stopping' && this.drained()) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  private drained(): boolean {
    if (this.counters.queued > 0) return false;
    for (const lane of this.lanes) if (lane.inFlight !== null) return false;
    return true;
  }

  private markUnavailable(error: unknown): void {
    if (this.unavailableSince !== 0) return;
    this.unavailableSince = Date.now();
    const holding = this.counters.queued + this.counters.inFlight;
    this.log.warn({ err: error, holding }, `${this.opts.name}: kafka unavailable, holding ${holding} records`);
    this.emit(PRODUCER_EVENTS.unavailable);
  }
}

function compact(lane: Lane): void {
  if (lane.head === lane.queue.length) {
    lane.queue = [];
    lane.head = 0;
  } else if (lane.head > 4096 && lane.head * 2 > lane.queue.length) {
    lane.queue = lane.queue.slice(lane.head);
    lane.head = 0;
  }
}

function finish(e: Entry, error: Error | undefined, log: Logger): void {
  const done = e.done;
  if (done === undefined) return;
  e.done = undefined;
  try {
    done(error);
  } catch (thrown) {
    // A throwing callback is the caller's bug; it must not stall the records behind it.
    log.error({ err: thrown }, 'producer callback threw');
  }
}

function sizeOf(v: Message['key'] | Message['value']): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Walks kafkajs's wrapping (`cause`, `originalError`) looking for a record-level refusal. */
function isRecordRejection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REJECTING_TYPES.has(type)) return true;
    const inner = e as { cause?: unknown; originalError?: unknown };
    e = inner.cause ?? inner.originalError;
  }
  return false;
}
