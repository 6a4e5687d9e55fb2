import type { Done, UplinkMessage } from '../../types.js';
import { FleetMqError } from '../../errors.js';
import { PRODUCER_EVENTS } from '../../messaging.events.js';
import type { UplinkSink } from '../../ports.js';
import type { FailedRecords, FromUplinkWorker, ToUplinkWorker } from './messages.js';
import { readRecordChunk } from './record-chunk.js';

/** The worker's end of the channel (a worker_threads parentPort, or a MessagePort in tests). */
export interface HostPort {
  postMessage(message: FromUplinkWorker, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: ToUplinkWorker) => void): unknown;
}

/** The code the gateway's thread rebuilds an error from; errors that are no FleetMqError count as Kafka unavailable. */
function codeOf(error: Error): string {
  return error instanceof FleetMqError ? error.code : 'KAFKA_UNAVAILABLE';
}

/**
 * Runs in the uplink worker: feeds the records of each chunk to the producer (an UplinkProducer,
 * with its batching, lanes, retries and limits), and reports what settled back to the gateway's
 * thread once per event-loop turn. A record's seq goes back only after its callback fired, that
 * is after Kafka acknowledged it (acks=all) or failed it for good.
 */
export class UplinkWorkerHost {
  private ok: number[] = [];
  private failed = new Map<string, FailedRecords>();
  private qos0 = 0;
  private flushScheduled = false;

  constructor(
    private readonly port: HostPort,
    private readonly producer: UplinkSink,
  ) {
    producer.on(PRODUCER_EVENTS.unavailable, () => port.postMessage({ t: 'event', name: 'unavailable' }));
    producer.on(PRODUCER_EVENTS.recovered, () => port.postMessage({ t: 'event', name: 'recovered' }));
    port.on('message', (message) => {
      if (message.t === 'records') this.accept(message.chunk);
      else void this.stop(message.timeoutMs);
    });
  }

  async start(): Promise<void> {
    await this.producer.start();
    this.port.postMessage({ t: 'started' });
  }

  private accept(chunk: ArrayBuffer): void {
    readRecordChunk(chunk, (seq, msg) => this.producer.send(msg, this.settler(seq, msg)));
  }

  private settler(seq: number, msg: UplinkMessage): Done {
    const qos0 = msg.qos === 0;
    return (error?: Error) => {
      if (qos0) this.qos0++;
      if (error === undefined) this.ok.push(seq);
      else {
        const code = codeOf(error);
        let group = this.failed.get(code);
        if (group === undefined) this.failed.set(code, (group = { code, message: error.message, seqs: [] }));
        group.seqs.push(seq);
      }
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    };
  }

  /** Reports everything settled since the last report. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.ok.length === 0 && this.failed.size === 0) return;
    const ok = Uint32Array.from(this.ok).buffer;
    const failed = [...this.failed.values()];
    this.port.postMessage({ t: 'settled', ok, failed, qos0: this.qos0, counters: { ...this.producer.uplinkCounters } }, [ok]);
    this.ok = [];
    this.failed = new Map();
    this.qos0 = 0;
  }

  private async stop(timeoutMs: number): Promise<void> {
    await this.producer.stop(timeoutMs);
    // Every callback fired by now (acknowledged, or failed as stopped): report them before saying so.
    this.flush();
    this.port.postMessage({ t: 'stopped' });
  }
}
