import { Writable } from 'node:stream';

/**
 * One socket write per connection per event-loop turn instead of one per packet. aedes writes
 * each packet on its own (lib/write.js -> mqtt-packet's writeToStream), and writeToStream
 * corks the stream only until the next tick, so packets written from different callbacks of
 * one turn (PUBACKs settled by one Kafka acknowledgement, deliveries to a subscriber from
 * publishes parsed in the same read) each cost a write syscall. Here the first cork of a turn
 * takes one more cork, released in the turn's check phase (setImmediate): what the turn wrote
 * leaves in one writev. A packet waits at most until the end of the turn it was written in, and
 * at most the stream's high-water mark (16 KiB for a socket) is held; write()'s backpressure
 * answer and 'drain' are the stream's own, and end()/destroy() flush or drop as they would.
 */

const cork = Writable.prototype.cork;
const uncork = Writable.prototype.uncork;

/** Streams holding the extra cork until the end of this turn. */
let held = new Set<Writable>();
/** The set being released; swapped with `held`, so a cork taken while releasing waits for the next release. */
let releasing = new Set<Writable>();
let release: NodeJS.Immediate | undefined;

function releaseHeld(): void {
  release = undefined;
  const streams = held;
  held = releasing;
  releasing = streams;
  for (const stream of streams) uncork.call(stream);
  streams.clear();
}

/**
 * The stream's cork(), as an own property: holds the stream corked until the turn ends, as long
 * as what it holds stays under the stream's high-water mark. Held bytes count in writableLength,
 * which the slow-subscriber bound reads (authorize-forward.hook.ts): a turn that writes a lot to
 * one connection lets it go at once instead of looking like a reader that fell behind, and a
 * connection with a real backlog is not held at all.
 */
function corkUntilTurnEnds(this: Writable): void {
  cork.call(this);
  const full = this.writableLength >= this.writableHighWaterMark;
  if (held.has(this)) {
    if (!full) return;
    held.delete(this);
    // mqtt-packet's own cork is still on: the bytes leave at its uncork (next tick).
    uncork.call(this);
    return;
  }
  if (full) return;
  held.add(this);
  cork.call(this);
  release ??= setImmediate(releaseHeld);
}

/** Makes writes to `stream` leave once per turn (call before anything is written). */
export function coalesceTurnWrites(stream: Writable): void {
  stream.cork = corkUntilTurnEnds;
}
