import type { Message } from 'kafkajs';
import type { Logger } from '#config';
import type { Done } from '../../types.js';

/** A queued record and who waits for its acknowledgement. */
export interface Entry {
  record: Message;
  bytes: number;
  droppable: boolean;
  done: Done | undefined;
}

/** Past this many taken entries at the head, a lane's queue array is rebuilt (if over half is taken). */
const COMPACT_AFTER_TAKEN = 4096;

/** One ordered stream of records: a queue, and at most one batch in flight (or waiting to be retried). */
export class Lane {
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

  push(entry: Entry): void {
    this.queue.push(entry);
    this.bytes += entry.bytes;
  }

  /** Takes the next batch off the queue: at most `maxRecords`, and `maxBytes` unless one record alone is larger. */
  take(maxRecords: number, maxBytes: number): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < maxRecords) {
      const e = this.queue[this.head]!;
      if (batch.length > 0 && bytes + e.bytes > maxBytes) break;
      batch.push(e);
      bytes += e.bytes;
      this.head++;
    }
    this.bytes -= bytes;
    this.compact();
    return batch;
  }

  /** Puts entries back at the head of the queue, ahead of newer records. */
  putBack(entries: Entry[]): void {
    this.queue.splice(this.head, 0, ...entries);
    for (const e of entries) this.bytes += e.bytes;
  }

  /** Empties the lane; returns everything it held (in flight first). */
  clear(): Entry[] {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const left = [...(this.inFlight ?? []), ...this.queue.slice(this.head)];
    this.inFlight = null;
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    return left;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > COMPACT_AFTER_TAKEN && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Calls the entry's callback once; a throwing callback is the caller's bug and must not stall the records behind it. */
export function finish(e: Entry, error: Error | undefined, log: Logger): void {
  const done = e.done;
  if (done === undefined) return;
  e.done = undefined;
  try {
    done(error);
  } catch (thrown) {
    log.error({ err: thrown }, 'producer callback threw');
  }
}

export function sizeOf(v: Message['key'] | Message['value']): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}
