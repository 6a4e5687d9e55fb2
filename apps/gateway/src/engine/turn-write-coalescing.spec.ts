import { Writable } from 'node:stream';
import mqtt from 'mqtt-packet';
import { coalesceTurnWrites } from './turn-write-coalescing.js';

/** A socket stand-in that records each write the stream makes (one _writev or _write call). */
function recordingStream(highWaterMark = 16 * 1024) {
  const writes: Buffer[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk);
      done();
    },
    writev(chunks, done) {
      writes.push(Buffer.concat(chunks.map((c) => c.chunk as Buffer)));
      done();
    },
  });
  return { stream, writes };
}

const turnEnd = () => new Promise<void>((resolve) => setImmediate(resolve));
const puback = (messageId: number) => ({ cmd: 'puback', messageId }) as const;
const bytes = (messageId: number) => mqtt.generate(puback(messageId));

describe('coalesceTurnWrites', () => {
  it('sends what aedes wrote from separate callbacks of one turn in one write, at the end of the turn', async () => {
    const { stream, writes } = recordingStream();
    coalesceTurnWrites(stream);
    mqtt.writeToStream(puback(1), stream);
    await Promise.resolve();
    mqtt.writeToStream(puback(2), stream);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    mqtt.writeToStream(puback(3), stream);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(writes).toEqual([]);
    await turnEnd();
    expect(writes).toEqual([Buffer.concat([bytes(1), bytes(2), bytes(3)])]);
  });

  it('without it, mqtt-packet corks only until the next tick: one write per callback', async () => {
    const { stream, writes } = recordingStream();
    mqtt.writeToStream(puback(1), stream);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    mqtt.writeToStream(puback(2), stream);
    await turnEnd();
    expect(writes).toHaveLength(2);
  });

  it('holds each turn on its own: a later turn is a later write', async () => {
    const { stream, writes } = recordingStream();
    coalesceTurnWrites(stream);
    mqtt.writeToStream(puback(1), stream);
    await turnEnd();
    mqtt.writeToStream(puback(2), stream);
    await turnEnd();
    expect(writes).toEqual([bytes(1), bytes(2)]);
  });

  it("keeps the stream's backpressure: write() says false past the high-water mark and 'drain' follows the flush", async () => {
    const publish = (payload: string) => ({ cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 0, retain: false, dup: false }) as const;
    const { stream, writes } = recordingStream(16);
    coalesceTurnWrites(stream);
    expect(mqtt.writeToStream(publish('a'), stream)).toBe(true);
    expect(mqtt.writeToStream(publish('0123456789'), stream)).toBe(false);
    expect(writes).toEqual([]);
    await new Promise<void>((resolve) => stream.once('drain', resolve));
    expect(writes).toEqual([Buffer.concat([mqtt.generate(publish('a')), mqtt.generate(publish('0123456789'))])]);
  });

  it('a stream first written while another is being released is released at the next turn end, not left corked', async () => {
    const first = recordingStream();
    const second = recordingStream();
    coalesceTurnWrites(first.stream);
    coalesceTurnWrites(second.stream);
    // A write whose flush makes another connection write at once (a listener on the socket).
    const flush = first.stream._writev!.bind(first.stream);
    first.stream._writev = (chunks, done) => {
      flush(chunks, done);
      mqtt.writeToStream(puback(2), second.stream);
    };
    mqtt.writeToStream(puback(1), first.stream);
    mqtt.writeToStream(puback(9), first.stream);
    await turnEnd();
    expect(first.writes).toHaveLength(1);
    await turnEnd();
    await turnEnd();
    expect(second.writes).toEqual([bytes(2)]);
  });

  it('holds no more than the high-water mark: a turn that writes more lets the connection go at once (slow-subscriber bound)', async () => {
    const publish = (payload: string) => ({ cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 0, retain: false, dup: false }) as const;
    const { stream, writes } = recordingStream(8);
    coalesceTurnWrites(stream);
    mqtt.writeToStream(publish('0123456789'), stream);
    await Promise.resolve();
    mqtt.writeToStream(publish('abcdefghij'), stream);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    // Both packets left before the turn ended: the second write found 15 bytes (over 8) held already.
    expect(Buffer.concat(writes)).toEqual(Buffer.concat([mqtt.generate(publish('0123456789')), mqtt.generate(publish('abcdefghij'))]));
    expect(stream.writableLength).toBe(0);
  });

  it('end() still flushes what the turn held', async () => {
    const { stream, writes } = recordingStream();
    coalesceTurnWrites(stream);
    mqtt.writeToStream(puback(1), stream);
    const finished = new Promise<void>((resolve) => stream.once('finish', resolve));
    stream.end();
    await finished;
    expect(writes).toEqual([bytes(1)]);
    await turnEnd();
  });
});
