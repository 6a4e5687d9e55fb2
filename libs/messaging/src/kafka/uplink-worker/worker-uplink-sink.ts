import { EventEmitter } from 'node:events';
import type { Logger } from '#config';
import { KafkaUnavailableError, MessagingStoppedError, QueueFullError, RecordRejectedError } from '../../errors.js';
import { PRODUCER_EVENTS } from '../../messaging.events.js';
import type { UplinkCounters, UplinkSink } from '../../ports.js';
import type { Done, UplinkMessage } from '../../types.js';
import { Backpressure } from '../batching/backpressure.js';
import type { FailedRecords, FromUplinkWorker, ToUplinkWorker } from './messages.js';
import { RecordChunkWriter } from './record-chunk.js';

/** What the sink needs of a worker_threads Worker (a MessagePort pair in tests). */
export interface UplinkWorkerLike {
  postMessage(message: ToUplinkWorker, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: FromUplinkWorker) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<unknown>;
}

export interface WorkerUplinkSinkOptions {
  /** Starts a worker running UplinkWorkerHost (uplink-worker.ts). */
  spawn: () => UplinkWorkerLike;
  logger: Logger;
  /** QoS 1/2 records not yet settled before `saturated`; they are never dropped. */
  maxQueuedRecords: number;
  /** QoS 0 records not yet settled at most; more are dropped and counted. */
  maxQueuedQos0: number;
  /** How long stop() waits for the worker beyond its own drain timeout. */
  stopGraceMs?: number;
}

type State = 'new' | 'running' | 'stopping' | 'stopped';

const NO_COUNTERS: UplinkCounters = { produced: 0, failedAttempts: 0, droppedQos0: 0, rejected: 0, queued: 0, inFlight: 0, batches: 0 };
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_GRACE_MS = 5_000;
const PRODUCER_NAME = 'uplink producer';
/** A worker that died is replaced after this long (not at once: one that cannot start would loop). */
const RESPAWN_DELAY_MS = 1_000;

/**
 * The uplink on a second core: an UplinkSink whose Kafka producer (an UplinkProducer: batching,
 * encoding, kafkajs, retries) runs in a worker thread. On the gateway's thread a record costs
 * an append to a staging buffer and a callback kept by sequence number; once per event-loop
 * turn the appended records go to the worker as one transferred chunk, and the worker reports
 * back which records Kafka acknowledged. So `done` still fires only after Kafka's
 * acknowledgement (acks=all), and a record the worker never reported (stop timeout, worker
 * died) fails, never succeeds.
 *
 * Saturation is decided here, from records sent and not yet settled, so publishers are held
 * without waiting for the worker to say so; QoS 0 records beyond `maxQueuedQos0` unsettled are
 * dropped here. `unavailable`/`recovered` come from the worker's producer. A worker that exits
 * while running fails its unsettled records (their senders retry) and is replaced.
 */
export class WorkerUplinkSink extends EventEmitter implements UplinkSink {
  private state: State = 'new';
  private worker: UplinkWorkerLike | undefined;
  private readonly chunk = new RecordChunkWriter();
  private readonly pending = new Map<number, Done>();
  private readonly pressure: Backpressure;
  private readonly queueFull = new QueueFullError('uplink');
  private readonly log: Logger;
  private seq = 0;
  private flushScheduled = false;
  private workerCounters: UplinkCounters = NO_COUNTERS;
  private droppedHere = 0;
  private stopped: (() => void) | undefined;
  private readonly flushChunk = (): void => {
    this.flushScheduled = false;
    this.post();
  };

  constructor(private readonly opts: WorkerUplinkSinkOptions) {
    super();
    this.log = opts.logger;
    this.pressure = new Backpressure(
      { maxQueuedRecords: opts.maxQueuedRecords, maxQueuedDroppable: opts.maxQueuedQos0 },
      (saturated) => this.emit(saturated ? PRODUCER_EVENTS.saturated : PRODUCER_EVENTS.resumed),
    );
  }

  /** Starts the worker and waits until its producer started (which does not wait for Kafka: records are held until it is there). */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'running';
    await this.spawn();
    this.post();
  }

  send(msg: UplinkMessage, done: Done): void {
    if (this.state === 'stopping' || this.state === 'stopped') {
      process.nextTick(done, new MessagingStoppedError(PRODUCER_NAME));
      return;
    }
    if (msg.qos === 0) {
      if (!this.pressure.admitDroppable()) {
        this.droppedHere++;
        process.nextTick(done, this.queueFull);
        return;
      }
    } else this.pressure.addGuaranteed();
    const seq = this.seq;
    this.seq = (seq + 1) >>> 0;
    this.pending.set(seq, done);
    this.chunk.append(seq, msg, msg.ts ?? Date.now());
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushChunk);
    }
  }

  isSaturated(): boolean {
    return this.pressure.saturated;
  }

  get uplinkCounters(): UplinkCounters {
    const c = this.workerCounters;
    return { ...c, droppedQos0: c.droppedQos0 + this.droppedHere, queued: Math.max(0, this.pending.size - c.inFlight) };
  }

  /**
   * Stops accepting records, lets the worker send what it holds (up to `timeoutMs`), then ends
   * it. Records it did not report as acknowledged get MessagingStoppedError: their senders retry.
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const worker = this.worker;
    this.state = 'stopping';
    if (worker !== undefined) {
      this.post();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.stopped = resolve;
        timer = setTimeout(resolve, timeoutMs + (this.opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS));
        worker.postMessage({ t: 'stop', timeoutMs });
      });
      clearTimeout(timer);
    }
    this.state = 'stopped';
    this.worker = undefined;
    this.failPending(new MessagingStoppedError(PRODUCER_NAME), 'stopped with records Kafka never acknowledged');
    await worker?.terminate();
  }

  private async spawn(): Promise<void> {
    const worker = this.opts.spawn();
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (message) => {
        if (message.t === 'started') resolve();
        else this.onMessage(message);
      });
      worker.on('error', (error) => {
        reject(error);
        this.log.error({ err: error }, 'uplink worker failed');
      });
      worker.on('exit', (code) => this.onExit(worker, code));
    });
  }

  /** Hands the records appended so far to the worker (once it exists). */
  private post(): void {
    if (this.worker === undefined || this.chunk.count === 0) return;
    const chunk = this.chunk.take();
    this.worker.postMessage({ t: 'records', chunk }, [chunk]);
  }

  private onMessage(message: FromUplinkWorker): void {
    switch (message.t) {
      case 'settled':
        this.settle(message.ok, message.failed, message.qos0, message.counters);
        break;
      case 'event':
        this.emit(message.name === 'unavailable' ? PRODUCER_EVENTS.unavailable : PRODUCER_EVENTS.recovered);
        break;
      case 'log':
        this.log[message.level]({ worker: 'uplink', ...message.bindings, ...message.obj }, message.msg);
        break;
      case 'stopped':
        this.stopped?.();
        break;
    }
  }

  private settle(okBuffer: ArrayBuffer, failed: FailedRecords[], qos0: number, counters: UplinkCounters): void {
    this.workerCounters = counters;
    const ok = new Uint32Array(okBuffer);
    let settled = ok.length;
    for (const group of failed) settled += group.seqs.length;
    // Counted before the callbacks run: a callback may send again.
    this.pressure.queuedDroppable -= qos0;
    this.pressure.releaseGuaranteed(settled - qos0);
    for (let i = 0; i < ok.length; i++) this.finish(ok[i]!, undefined);
    for (const group of failed) {
      const error = rebuildError(group, this.queueFull);
      for (const seq of group.seqs) this.finish(seq, error);
    }
  }

  private finish(seq: number, error: Error | undefined): void {
    const done = this.pending.get(seq);
    if (done === undefined) return;
    this.pending.delete(seq);
    try {
      done(error);
    } catch (thrown) {
      this.log.error({ err: thrown }, 'producer callback threw');
    }
  }

  /** A worker that exits while running: its unsettled records fail (their senders retry), and a new one takes over. */
  private onExit(worker: UplinkWorkerLike, code: number): void {
    if (this.worker !== worker) return;
    if (this.state === 'stopping') {
      this.stopped?.();
      return;
    }
    if (this.state !== 'running') return;
    this.worker = undefined;
    this.failPending(new KafkaUnavailableError(`uplink worker exited (code ${code})`), 'uplink worker exited; its unacknowledged records failed');
    setTimeout(() => this.respawn(), RESPAWN_DELAY_MS).unref();
  }

  private respawn(): void {
    if (this.state !== 'running') return;
    this.spawn().then(
      () => this.post(),
      (error: unknown) => this.log.error({ err: error }, 'uplink worker could not be restarted'),
    );
  }

  private failPending(error: Error, message: string): void {
    if (this.pending.size === 0) return;
    this.log.warn({ records: this.pending.size }, message);
    const dones = [...this.pending.values()];
    this.pending.clear();
    this.pressure.queuedDroppable = 0;
    this.pressure.releaseGuaranteed(this.pressure.pendingGuaranteed);
    for (const done of dones) {
      try {
        done(error);
      } catch (thrown) {
        this.log.error({ err: thrown }, 'producer callback threw');
      }
    }
  }
}

/** The error class the worker's producer failed the records with, rebuilt on this side. */
function rebuildError(group: FailedRecords, queueFull: QueueFullError): Error {
  switch (group.code) {
    case 'QUEUE_FULL':
      return queueFull;
    case 'MESSAGING_STOPPED':
      return new MessagingStoppedError(PRODUCER_NAME);
    case 'RECORD_REJECTED':
      return new RecordRejectedError(group.message);
    default:
      return new KafkaUnavailableError(group.message);
  }
}
