import { crc32c } from './crc32c.js';

/**
 * The body of a Kafka Produce request (versions 3 to 7 share it), uncompressed, written into
 * one exactly-sized buffer: the same bytes as kafkajs's own encoder (produce/v3/request.js,
 * recordBatch/v0, record/v0), which allocates a zero-filled 512-byte buffer per record and per
 * header, encodes varlongs through Long objects and copies every record three times. What this
 * saves per record: docs/BENCHMARKS.md "The Kafka side alone: the uplink producer"
 * (from bench/results/uplink/).
 *
 * Pure: bytes in, bytes out. The wire format is Kafka's RecordBatch v2 (magic 2):
 * https://kafka.apache.org/documentation/#recordbatch
 */

export type HeaderValue = Buffer | string | null | undefined;
export type Int64Like = number | string | bigint | { toString(): string };

export interface ProduceMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, HeaderValue | HeaderValue[]>;
  timestamp?: string | number;
}

export interface ProducePartitionData {
  partition: number;
  firstSequence?: number;
  messages: readonly ProduceMessage[];
}

export interface ProduceTopicData {
  topic: string;
  partitions: readonly ProducePartitionData[];
}

export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: Int64Like;
  producerEpoch?: number;
  topicData: readonly ProduceTopicData[];
}

const MAGIC = 2;
const TRANSACTIONAL_ATTRIBUTE = 0x10;
/** Bytes of a record batch after its length field, before the records. */
const BATCH_HEADER_AFTER_LENGTH = 49;
/** Offset of the attributes field (where the CRC starts) from the start of a batch. */
const CRC_START = 21;
/** Shorter byte runs are copied by hand: cheaper than a native call. */
const SMALL_COPY = 48;

/** Header names repeat on every record: their UTF-8 bytes are kept (bounded). */
const headerNames = new Map<string, Buffer>();
const MAX_HEADER_NAMES = 1024;

function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < MAX_HEADER_NAMES) headerNames.set(name, bytes);
  }
  return bytes;
}

function zigZag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** ZigZag of a 64-bit value held as a safe integer (timestamps): arithmetic, not bit operators. */
function zigZag64(value: number): number {
  const v = Math.trunc(value) || 0;
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varintSize(unsigned: number): number {
  let size = 1;
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 0x80);
    size++;
  }
  return size;
}

/** -1 for null: Kafka's "no bytes". */
function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Buffer.isBuffer(value)) return value.length;
  return Buffer.byteLength(String(value), 'utf8');
}

/** A length-prefixed field: varint(length) then the bytes; a null is varint(-1), one byte. */
function fieldSize(length: number): number {
  return length < 0 ? 1 : varintSize(zigZag32(length)) + length;
}

function int64(value: Int64Like | undefined, fallback: bigint): bigint {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'bigint') return BigInt.asIntN(64, value);
  if (typeof value === 'number') return BigInt(Math.trunc(value) || 0);
  return BigInt.asIntN(64, BigInt(value.toString()));
}

class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  int8(v: number): void {
    this.buf[this.offset++] = v & 0xff;
  }
  int16(v: number): void {
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
  }
  int32(v: number): void {
    this.buf.writeInt32BE(v | 0, this.offset);
    this.offset += 4;
  }
  int64(v: bigint): void {
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
  }
  varint(unsigned: number): void {
    const buf = this.buf;
    let off = this.offset;
    while (unsigned >= 0x80) {
      buf[off++] = (unsigned % 0x80) | 0x80;
      unsigned = Math.floor(unsigned / 0x80);
    }
    buf[off++] = unsigned;
    this.offset = off;
  }
  bytes(src: Buffer): void {
    const n = src.length;
    if (n <= SMALL_COPY) {
      const buf = this.buf;
      const off = this.offset;
      for (let i = 0; i < n; i++) buf[off + i] = src[i]!;
    } else {
      this.buf.set(src, this.offset);
    }
    this.offset += n;
  }
  utf8(text: string, length: number): void {
    if (length === text.length && length <= SMALL_COPY) {
      // All ASCII (a UTF-8 length equal to the UTF-16 length means no multi-byte character).
      const buf = this.buf;
      const off = this.offset;
      for (let i = 0; i < length; i++) buf[off + i] = text.charCodeAt(i);
    } else {
      this.buf.write(text, this.offset, length, 'utf8');
    }
    this.offset += length;
  }
  /** varint(length) + bytes, or varint(-1) for null: `length` is byteLength(value). */
  field(value: Buffer | string | null | undefined, length: number): void {
    if (length < 0) {
      this.buf[this.offset++] = 1; // zigzag(-1)
      return;
    }
    this.varint(zigZag32(length));
    if (typeof value === 'string') this.utf8(value, length);
    else if (Buffer.isBuffer(value)) this.bytes(value);
    else this.utf8(String(value), length);
  }
  string16(value: string | null | undefined): void {
    if (value === null || value === undefined) {
      this.int16(-1);
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.int16(length);
    this.utf8(value, length);
  }
}

/** The sizes found by the first pass, reused by the second. */
interface PartitionPlan {
  recordSizes: number[];
  timestampDeltas: number[];
  headerCounts: number[];
  firstTimestamp: Int64Like;
  maxTimestamp: Int64Like;
  recordsBytes: number;
}

/** Bytes of a record's header entries; their number goes to `counts[index]` (no object per record). */
function measureHeaders(headers: Record<string, HeaderValue | HeaderValue[]> | undefined, counts: number[], index: number): number {
  let count = 0;
  let bytes = 0;
  if (headers !== undefined && headers !== null) {
    for (const name in headers) {
      if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
      const nameSize = fieldSize(headerName(name).length);
      const value = headers[name];
      if (Array.isArray(value)) {
        for (const item of value) bytes += nameSize + fieldSize(byteLength(item));
        count += value.length;
      } else {
        bytes += nameSize + fieldSize(byteLength(value));
        count++;
      }
    }
  }
  counts[index] = count;
  return bytes;
}

function planPartition(messages: readonly ProduceMessage[], now: number): PartitionPlan {
  // kafkajs's rules, kept byte for byte: the timestamps given are sorted as JavaScript's
  // default sort does, the first is the batch's base, records without one take "now".
  const given: Array<string | number> = [];
  for (const m of messages) if (m.timestamp !== null && m.timestamp !== undefined) given.push(m.timestamp);
  given.sort();
  const firstTimestamp = given.length === 0 ? now : given[0]!;
  const maxTimestamp = given.length === 0 ? now : given[given.length - 1]!;
  const recordSizes: number[] = new Array(messages.length);
  const timestampDeltas: number[] = new Array(messages.length);
  const headerCounts: number[] = new Array(messages.length);
  let recordsBytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const delta = ((m.timestamp || now) as number) - (firstTimestamp as number);
    const headerBytes = measureHeaders(m.headers, headerCounts, i);
    const body =
      1 + // attributes
      varintSize(zigZag64(delta)) +
      varintSize(zigZag32(i)) +
      fieldSize(byteLength(m.key)) +
      fieldSize(byteLength(m.value)) +
      varintSize(zigZag32(headerCounts[i]!)) +
      headerBytes;
    recordSizes[i] = body;
    timestampDeltas[i] = delta;
    recordsBytes += varintSize(zigZag32(body)) + body;
  }
  return { recordSizes, timestampDeltas, headerCounts, firstTimestamp, maxTimestamp, recordsBytes };
}

function writeHeader(w: Writer, name: string, value: HeaderValue): void {
  const nameBytes = headerName(name);
  w.varint(zigZag32(nameBytes.length));
  w.bytes(nameBytes);
  w.field(value, byteLength(value));
}

function writeRecord(w: Writer, m: ProduceMessage, index: number, bodySize: number, timestampDelta: number, headerCount: number): void {
  w.varint(zigZag32(bodySize));
  w.int8(0); // record attributes: none defined
  w.varint(zigZag64(timestampDelta));
  w.varint(zigZag32(index));
  w.field(m.key, byteLength(m.key));
  w.field(m.value, byteLength(m.value));
  w.varint(zigZag32(headerCount));
  const headers = m.headers;
  if (headers === undefined || headers === null) return;
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const item of value) writeHeader(w, name, item);
    else writeHeader(w, name, value);
  }
}

/**
 * Encodes a Produce request body (transactional id, acks, timeout, topic data), every
 * partition as one uncompressed RecordBatch v2. `now` stands in for records without a
 * timestamp (kafkajs reads Date.now() once per partition; once per request is the same up to
 * a millisecond).
 */
export function encodeProduceRequest(args: ProduceRequestArgs, now: number = Date.now()): Buffer {
  const producerId = int64(args.producerId, -1n);
  const producerEpoch = args.producerEpoch ?? 0;
  const attributes = args.transactionalId ? TRANSACTIONAL_ATTRIBUTE : 0;

  const plans: PartitionPlan[][] = [];
  let size = 2 + (args.transactionalId == null ? 0 : Buffer.byteLength(args.transactionalId, 'utf8')) + 2 + 4 + 4;
  for (const topic of args.topicData) {
    size += 2 + Buffer.byteLength(topic.topic, 'utf8') + 4;
    const topicPlans: PartitionPlan[] = [];
    for (const partition of topic.partitions) {
      const plan = planPartition(partition.messages, now);
      topicPlans.push(plan);
      size += 4 + 4 + 8 + 4 + BATCH_HEADER_AFTER_LENGTH + plan.recordsBytes;
    }
    plans.push(topicPlans);
  }

  const w = new Writer(Buffer.allocUnsafe(size));
  w.string16(args.transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(args.topicData.length);
  args.topicData.forEach((topic, t) => {
    w.string16(topic.topic);
    w.int32(topic.partitions.length);
    topic.partitions.forEach((partition, p) => {
      const plan = plans[t]![p]!;
      const batchLength = BATCH_HEADER_AFTER_LENGTH + plan.recordsBytes;
      w.int32(partition.partition);
      w.int32(8 + 4 + batchLength); // the record set: one batch
      const batchStart = w.offset;
      w.int64(0n); // base offset: the broker assigns offsets
      w.int32(batchLength);
      w.int32(0); // partition leader epoch
      w.int8(MAGIC);
      const crcAt = w.offset;
      w.int32(0); // CRC, filled in below
      w.int16(attributes);
      w.int32(partition.messages.length - 1); // last offset delta
      w.int64(int64(plan.firstTimestamp, 0n));
      w.int64(int64(plan.maxTimestamp, 0n));
      w.int64(producerId);
      w.int16(producerEpoch);
      w.int32(partition.firstSequence ?? 0);
      w.int32(partition.messages.length);
      const messages = partition.messages;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        writeRecord(w, m, i, plan.recordSizes[i]!, plan.timestampDeltas[i]!, plan.headerCounts[i]!);
      }
      w.buf.writeUInt32BE(crc32c(w.buf, batchStart + CRC_START, w.offset), crcAt);
    });
  });
  if (w.offset !== size) throw new Error(`produce request: wrote ${w.offset} bytes, planned ${size}`);
  return w.buf;
}
