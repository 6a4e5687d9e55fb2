import { Histogram, type LatencySummary, summarize } from './histogram.js';
import type { HistogramData } from './protocol.js';

/** Receive times are kept in 100 ms buckets so a rate can be taken over any window later. */
export const TIMELINE_BUCKET_MS = 100;

export interface ReceiptData {
  received: number;
  latency: HistogramData;
  /** [bucket start (epoch ms), count] pairs. */
  timeline: Array<[number, number]>;
  lastAtMs: number;
}

/** What one receiver (a subscriber pool, the Kafka consumer) got of one run tag. */
export class Receipts {
  received = 0;
  lastAtMs = 0;
  readonly latency = new Histogram();
  private readonly timeline = new Map<number, number>();

  record(nowMs: number, sentAtMs: number): void {
    this.received++;
    this.lastAtMs = nowMs;
    this.latency.record((nowMs - sentAtMs) * 1000);
    const bucket = Math.floor(nowMs / TIMELINE_BUCKET_MS) * TIMELINE_BUCKET_MS;
    this.timeline.set(bucket, (this.timeline.get(bucket) ?? 0) + 1);
  }

  toJSON(): ReceiptData {
    return { received: this.received, latency: this.latency.toJSON(), timeline: [...this.timeline], lastAtMs: this.lastAtMs };
  }
}

/** Receipts of several runs, keyed by run tag (each repetition uses its own tag). */
export class ReceiptBook {
  foreign = 0;
  private readonly byTag = new Map<number, Receipts>();

  record(runTag: number, nowMs: number, sentAtMs: number): void {
    let r = this.byTag.get(runTag);
    if (!r) {
      r = new Receipts();
      this.byTag.set(runTag, r);
    }
    r.record(nowMs, sentAtMs);
  }

  take(runTag: number, remove: boolean): ReceiptData {
    const r = this.byTag.get(runTag) ?? new Receipts();
    if (remove) this.byTag.delete(runTag);
    return r.toJSON();
  }
}

/** Merges receipts of several generator processes. */
export function mergeReceipts(parts: ReceiptData[]): ReceiptData & { summary: LatencySummary } {
  const latency = new Histogram();
  const timeline = new Map<number, number>();
  let received = 0;
  let lastAtMs = 0;
  for (const p of parts) {
    received += p.received;
    lastAtMs = Math.max(lastAtMs, p.lastAtMs);
    latency.merge(Histogram.from(p.latency));
    for (const [b, c] of p.timeline) timeline.set(b, (timeline.get(b) ?? 0) + c);
  }
  return { received, latency: latency.toJSON(), timeline: [...timeline], lastAtMs, summary: summarize(latency) };
}

/** Receipts whose receive time falls in [fromMs, toMs), per second. */
export function ratePerSecond(data: ReceiptData, fromMs: number, toMs: number): number {
  let n = 0;
  for (const [bucket, count] of data.timeline) if (bucket >= fromMs && bucket + TIMELINE_BUCKET_MS <= toMs) n += count;
  const first = Math.ceil(fromMs / TIMELINE_BUCKET_MS) * TIMELINE_BUCKET_MS;
  const last = Math.floor(toMs / TIMELINE_BUCKET_MS) * TIMELINE_BUCKET_MS;
  const span = last - first;
  return span > 0 ? (n * 1000) / span : 0;
}
