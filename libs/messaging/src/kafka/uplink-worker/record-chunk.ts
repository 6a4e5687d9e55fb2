import type { Qos, UplinkMessage } from '../../types.js';

/**
 * How uplink messages cross from the gateway's thread to the uplink worker: appended to one
 * staging buffer as they come, and copied once per event-loop turn into a transferable chunk
 * (one postMessage per turn, not per message). Per record:
 *   u32 seq | u8 qos + retain<<2 | f64 ts | u16 len | msgId (empty: none) | u16 len | instanceId
 *   | u16 len | clientId | u16 len | topic | u32 len | payload   (little endian, strings UTF-8)
 */

const RETAIN = 4;
const QOS_MASK = 3;
/** Fixed bytes of a record: seq, flags, ts, four length fields (msgId, instance, client, topic) and the payload length. */
const FIXED_BYTES = 4 + 1 + 8 + 2 + 2 + 2 + 2 + 4;
/** The staging buffer's first size; it doubles when a turn holds more. */
const INITIAL_STAGING_BYTES = 64 * 1024;

/** Upper bound of a string's UTF-8 length without measuring it. */
function maxUtf8(text: string): number {
  return text.length * 3;
}

/** Appends records on the gateway's thread; `take()` hands over what was appended as one transferable chunk. */
export class RecordChunkWriter {
  private buf = Buffer.allocUnsafeSlow(INITIAL_STAGING_BYTES);
  private offset = 0;
  /** Records appended since the last take(). */
  count = 0;

  append(seq: number, msg: UplinkMessage, ts: number): void {
    const payload = msg.payload;
    const msgId = msg.msgId ?? '';
    this.reserve(FIXED_BYTES + maxUtf8(msgId) + maxUtf8(msg.instanceId) + maxUtf8(msg.clientId) + maxUtf8(msg.topic) + payload.length);
    const buf = this.buf;
    let off = this.offset;
    buf.writeUInt32LE(seq, off);
    buf[off + 4] = (msg.qos & QOS_MASK) | (msg.retain ? RETAIN : 0);
    buf.writeDoubleLE(ts, off + 5);
    off += 13;
    off = this.string16(msgId, off);
    off = this.string16(msg.instanceId, off);
    off = this.string16(msg.clientId, off);
    off = this.string16(msg.topic, off);
    buf.writeUInt32LE(payload.length, off);
    off += 4;
    payload.copy(buf, off);
    this.offset = off + payload.length;
    this.count++;
  }

  /** What was appended since the last take, in a buffer of its own (transferable); empty staging after. */
  take(): ArrayBuffer {
    // Not zero-filled, and an ArrayBuffer of its own (not a slice of Node's pool): transferable.
    const chunk = Buffer.allocUnsafeSlow(this.offset);
    this.buf.copy(chunk, 0, 0, this.offset);
    this.offset = 0;
    this.count = 0;
    return chunk.buffer;
  }

  private string16(text: string, off: number): number {
    const len = text.length === 0 ? 0 : this.buf.write(text, off + 2, 'utf8');
    this.buf.writeUInt16LE(len, off);
    return off + 2 + len;
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  }
}

/** Reads a chunk back on the worker's thread; `fn` gets each record with its seq (the payload is a view of the chunk). */
export function readRecordChunk(chunk: ArrayBuffer, fn: (seq: number, msg: UplinkMessage) => void): void {
  const buf = Buffer.from(chunk);
  let off = 0;
  while (off < buf.length) {
    const seq = buf.readUInt32LE(off);
    const flags = buf[off + 4]!;
    const ts = buf.readDoubleLE(off + 5);
    off += 13;
    const idLen = buf.readUInt16LE(off);
    const msgId = idLen === 0 ? undefined : buf.toString('utf8', off + 2, off + 2 + idLen);
    off += 2 + idLen;
    const instanceLen = buf.readUInt16LE(off);
    const instanceId = buf.toString('utf8', off + 2, off + 2 + instanceLen);
    off += 2 + instanceLen;
    const clientLen = buf.readUInt16LE(off);
    const clientId = buf.toString('utf8', off + 2, off + 2 + clientLen);
    off += 2 + clientLen;
    const topicLen = buf.readUInt16LE(off);
    const topic = buf.toString('utf8', off + 2, off + 2 + topicLen);
    off += 2 + topicLen;
    const payloadLen = buf.readUInt32LE(off);
    const payload = buf.subarray(off + 4, off + 4 + payloadLen);
    off += 4 + payloadLen;
    fn(seq, { instanceId, clientId, topic, qos: (flags & QOS_MASK) as Qos, retain: (flags & RETAIN) !== 0, payload, ts, msgId });
  }
}
