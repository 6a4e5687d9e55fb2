/**
 * The byte queue mqtt-packet's parser reads from (its `_list`), in place of the `bl` list it
 * creates itself. bl 6's list is a full Duplex stream (two stream states and listener tables
 * per connection, even when idle), and its readUInt8/readUInt16BE copy a slice
 * for every byte they read. This one keeps the first chunk with a read offset, further chunks
 * only while a packet spans reads, and answers reads and slices inside the first chunk
 * without allocating.
 *
 * Implements what mqtt-packet 9.0.x parser.js calls (append, consume, length, readUInt8,
 * readUInt16BE, readUInt32BE, slice, toString) with bl's semantics: slices within one chunk
 * share its memory, reads past the end throw a RangeError.
 */
export class ChunkList {
  length = 0;
  private head: Buffer | null = null;
  /** Bytes of `head` already consumed. */
  private offset = 0;
  private more: Buffer[] | null = null;

  append(buf: Buffer): this {
    if (buf.length === 0) return this;
    if (this.head === null) {
      this.head = buf;
      this.offset = 0;
    } else {
      (this.more ??= []).push(buf);
    }
    this.length += buf.length;
    return this;
  }

  consume(bytes: number): this {
    let n = Math.trunc(bytes);
    if (!(n > 0)) return this;
    while (n > 0 && this.head !== null) {
      const left = this.head.length - this.offset;
      if (n < left) {
        this.offset += n;
        this.length -= n;
        return this;
      }
      n -= left;
      this.length -= left;
      this.nextChunk();
    }
    return this;
  }

  readUInt8(offset = 0): number {
    const head = this.head;
    const at = this.offset + offset;
    if (head !== null && offset >= 0 && at < head.length) return head[at]!;
    return this.gather(offset, 1).readUInt8(0);
  }

  readUInt16BE(offset = 0): number {
    const head = this.head;
    const at = this.offset + offset;
    if (head !== null && offset >= 0 && at + 2 <= head.length) return head.readUInt16BE(at);
    return this.gather(offset, 2).readUInt16BE(0);
  }

  readUInt32BE(offset = 0): number {
    const head = this.head;
    const at = this.offset + offset;
    if (head !== null && offset >= 0 && at + 4 <= head.length) return head.readUInt32BE(at);
    return this.gather(offset, 4).readUInt32BE(0);
  }

  /** Bytes [start, end) (negative counts from the end, clamped to the length). */
  slice(start?: number, end?: number): Buffer {
    const [from, to] = this.range(start, end);
    if (to <= from) return Buffer.alloc(0);
    const head = this.head!;
    if (this.offset + to <= head.length) return head.subarray(this.offset + from, this.offset + to);
    return this.gather(from, to - from);
  }

  toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    const [from, to] = this.range(start, end);
    if (to <= from) return '';
    const head = this.head!;
    if (this.offset + to <= head.length) return head.toString(encoding, this.offset + from, this.offset + to);
    return this.gather(from, to - from).toString(encoding);
  }

  private range(start: number | undefined, end: number | undefined): [number, number] {
    let from = typeof start === 'number' ? (start < 0 ? start + this.length : start) : 0;
    let to = typeof end === 'number' ? (end < 0 ? end + this.length : end) : this.length;
    if (from < 0) from = 0;
    if (to > this.length) to = this.length;
    if (from >= this.length) return [0, 0];
    return [from, to];
  }

  /** Copies up to `len` bytes from `start` (fewer when the list is shorter). */
  private gather(start: number, len: number): Buffer {
    if (start < 0 || start >= this.length || len <= 0 || this.head === null) return Buffer.alloc(0);
    const out = Buffer.allocUnsafe(Math.min(len, this.length - start));
    let skip = this.offset + start;
    let written = 0;
    let chunk: Buffer | undefined = this.head;
    for (let i = 0; chunk !== undefined && written < out.length; chunk = this.more?.[i++]) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      written += chunk.copy(out, written, skip, Math.min(chunk.length, skip + out.length - written));
      skip = 0;
    }
    return out;
  }

  private nextChunk(): void {
    const more = this.more;
    this.offset = 0;
    if (more === null || more.length === 0) {
      this.head = null;
      this.more = null;
      return;
    }
    this.head = more.shift()!;
    if (more.length === 0) this.more = null;
  }
}
