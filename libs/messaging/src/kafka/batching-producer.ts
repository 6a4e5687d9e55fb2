import { EventEmitter } from 'node:events';
import type { Message } from 'kafkajs';
import type { Logger } from '#config';
import { MessagingStoppedError, QueueFullError, RecordRejectedError } from '../errors.js';
import { PRODUCER_EVENTS } from '../messaging.events.js';
import { createBackoff, type BackoffOptions, type BackoffPolicy } from '../retry/backoff.js';
import type { Done } from '../types.js';
import type { ProducerFactory, ProducerLike } from './producer-like.js';

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
  /** Records of the batch being sent. */
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

type State = 'new' | 'running' | 'stopping' | 'stopped';

/** kafkajs error types that say the records themselves are refused: retrying the same request cannot help. */
const REJECTING_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);
const noop = (): void => {};

/**
 * Accumulates records and produces them with one `sendBatch` at a time, acks=all. Exactly one
 * batch is in flight; a failed batch is retried as a whole, with backoff, ahead of newer
 * records, on a fresh kafkajs producer (kafkajs#628, #907), until Kafka acknowledges it. So
 * records keep their order (duplicates are possible, reordering is not) and a callback fires
 * only after Kafka's acknowledgement. Guaranteed records are never dropped; past
 * `maxQueuedRecords` the producer reports saturation so that callers stop reading.
 */
export class BatchingProducer extends EventEmitter {
  readonly counters: ProducerCounters = { produced: 0, failedAttempts: 0, dropped: 0, rejected: 0, queued: 0, inFlight: 0, batches: 0 };

  private readonly opts: Required<Omit<BatchingProducerOptions, 'backoff'>>;
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;
  private state: State = 'new';
  private queue: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private queuedDroppable = 0;
  /** Guaranteed (non-droppable) records queued or in flight: what saturation counts. */
  private pendingGuaranteed = 0;
  private inFlight: Entry[] | null = null;
  private attempt = 0;
  private producer: ProducerLike | undefined;
  private connected = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private unavailableSince = 0;
  private saturated = false;
  private drainWaiters: Array<() => void> = [];

  constructor(options: BatchingProducerOptions) {
    super();
    this.opts = {
      ...options,
      maxBatchBytes: options.maxBatchBytes ?? 512 * 1024,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 30_000,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
    };
    this.backoff = createBackoff(options.backoff);
    this.log = options.logger;
  }

  /** Connects once; if Kafka is not there yet, records are held and retried until it is. */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    try {
      await this.ensureProducer();
    } catch (error) {
      this.dropProducer();
      this.markUnavailable(error);
    }
    this.schedule();
  }

  /** Queues a record; `done` fires once Kafka acknowledged it, or with an error if it never will be. */
  enqueue(record: Message, droppable: boolean, done: Done | undefined): void {
    if (this.state === 'stopping' || this.state === 'stopped') {
      if (done) process.nextTick(done, new MessagingStoppedError(`${this.opts.name} producer`));
      return;
    }
    if (droppable && this.queuedDroppable >= this.opts.maxQueuedDroppable) {
      this.counters.dropped++;
      if (done) process.nextTick(done, new QueueFullError(this.opts.name));
      return;
    }
    const bytes = sizeOf(record.key) + sizeOf(record.value);
    this.queue.push({ record, bytes, droppable, done });
    this.queuedBytes += bytes;
    this.counters.queued++;
    if (droppable) this.queuedDroppable++;
    else if (++this.pendingGuaranteed >= this.opts.maxQueuedRecords && !this.saturated) {
      this.saturated = true;
      this.emit(PRODUCER_EVENTS.saturated);
    }
    this.schedule();
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
    if (wasStarted) this.flush();
    if (wasStarted && (this.inFlight !== null || this.counters.queued > 0)) {
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const left = [...(this.inFlight ?? []), ...this.queue.slice(this.head)];
    this.inFlight = null;
    this.queue = [];
    this.head = 0;
    this.counters.queued = 0;
    this.counters.inFlight = 0;
    if (left.length > 0) {
      this.log.warn({ records: left.length }, `${this.opts.name}: stopped with records Kafka never acknowledged`);
      const error = new MessagingStoppedError(`${this.opts.name} producer`);
      for (const e of left) finish(e, error, this.log);
    }
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.disconnect().catch(noop);
  }

  // ------------------------------------------------------------------ batching

  private schedule(): void {
    if (this.inFlight !== null || this.counters.queued === 0 || this.state === 'new' || this.state === 'stopped') return;
    if (this.counters.queued >= this.opts.maxBatchRecords || this.queuedBytes >= this.opts.maxBatchBytes || this.opts.lingerMs === 0) {
      this.clearLinger();
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.flush();
      }, this.opts.lingerMs);
    }
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /** Takes the next batch off the queue and sends it, if nothing is in flight. */
  private flush(): void {
    if (this.inFlight !== null || this.counters.queued === 0 || this.state === 'new' || this.state === 'stopped') return;
    this.clearLinger();
    const batch: Entry[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < this.opts.maxBatchRecords) {
      const e = this.queue[this.head]!;
      if (batch.length > 0 && bytes + e.bytes > this.opts.maxBatchBytes) break;
      batch.push(e);
      bytes += e.bytes;
      this.head++;
      if (e.droppable) this.queuedDroppable--;
    }
    this.queuedBytes -= bytes;
    this.counters.queued -= batch.length;
    this.compact();
    this.inFlight = batch;
    this.counters.inFlight = batch.length;
    this.attempt = 0;
    void this.produce(batch);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private async produce(batch: Entry[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const producer = await this.ensureProducer();
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
      if (this.inFlight === batch) this.onFailure(batch, error);
      return;
    }
    clearTimeout(timer);
    if (this.inFlight === batch) this.onSuccess(batch);
  }

  private onSuccess(batch: Entry[]): void {
    this.inFlight = null;
    this.counters.inFlight = 0;
    this.counters.produced += batch.length;
    this.counters.batches++;
    if (this.unavailableSince !== 0) {
      this.log.info(
        { downMs: Date.now() - this.unavailableSince, failedAttempts: this.counters.failedAttempts },
        `${this.opts.name}: kafka recovered`,
      );
      this.unavailableSince = 0;
      this.emit(PRODUCER_EVENTS.recovered);
    }
    this.release(batch);
    for (const e of batch) finish(e, undefined, this.log);
    this.afterBatch();
  }

  private onFailure(batch: Entry[], error: unknown): void {
    this.counters.failedAttempts++;
    if (isRecordRejection(error)) {
      this.onRejected(batch, error);
      return;
    }
    this.dropProducer();
    this.markUnavailable(error);
    if (this.state === 'stopped') return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.inFlight === batch) void this.produce(batch);
    }, this.backoff.delay(this.attempt++));
  }

  /** Kafka refuses the records themselves: halve the batch to isolate the culprit, which alone fails. */
  private onRejected(batch: Entry[], error: unknown): void {
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const rest = batch.slice(half);
      const first = batch.slice(0, half);
      // The second half goes back to the head of the queue, ahead of newer records.
      this.queue.splice(this.head, 0, ...rest);
      for (const e of rest) {
        this.queuedBytes += e.bytes;
        if (e.droppable) this.queuedDroppable++;
      }
      this.counters.queued += rest.length;
      this.inFlight = first;
      this.counters.inFlight = first.length;
      void this.produce(first);
      return;
    }
    this.counters.rejected += batch.length;
    this.inFlight = null;
    this.counters.inFlight = 0;
    this.log.warn({ err: error }, `${this.opts.name}: kafka refused a record`);
    this.release(batch);
    const rejection = new RecordRejectedError(`kafka refused the record: ${messageOf(error)}`, { cause: error });
    for (const e of batch) finish(e, rejection, this.log);
    this.afterBatch();
  }

  private release(batch: Entry[]): void {
    for (const e of batch) if (!e.droppable) this.pendingGuaranteed--;
    if (this.saturated && this.pendingGuaranteed <= this.opts.maxQueuedRecords / 2) {
      this.saturated = false;
      this.emit(PRODUCER_EVENTS.resumed);
    }
  }

  private afterBatch(): void {
    if (this.counters.queued > 0) {
      // Records that arrived while the batch was in flight have waited long enough.
      this.flush();
    } else if (this.state === 'stopping') {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  // ------------------------------------------------------------------ connection

  private async ensureProducer(): Promise<ProducerLike> {
    if (this.producer && this.connected) return this.producer;
    this.producer ??= this.opts.createProducer();
    const producer = this.producer;
    await producer.connect();
    if (this.producer === producer) this.connected = true;
    return producer;
  }

  /** A kafkajs producer that failed may stay "disconnected" for good (kafkajs#907): replace it. */
  private dropProducer(): void {
    const old = this.producer;
    this.producer = undefined;
    this.connected = false;
    if (old) void old.disconnect().catch(noop);
  }

  private markUnavailable(error: unknown): void {
    if (this.unavailableSince !== 0) return;
    this.unavailableSince = Date.now();
    this.log.warn(
      { err: error, holding: this.counters.queued + this.counters.inFlight },
      `${this.opts.name}: kafka unavailable, holding ${this.counters.queued + this.counters.inFlight} records`,
    );
    this.emit(PRODUCER_EVENTS.unavailable);
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
