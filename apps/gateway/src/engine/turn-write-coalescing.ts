import { Writable } from 'node:stream';

/**
 * One socket write per connection per event-loop turn instead of one per packet. aedes writes
 * each packet on its own (lib/write.js -> mqtt-packet's writeToStream), and writeToStream
 * corks the stream only until the next tick, so packets written from different callbacks of
 * one turn (PUBACKs settled by one Kafka acknowledgement, deliveries to a subscriber from
 * publishes parsed in the same read) each cost a write syscall. Here the first cork of a turn
 * takes one more cork, released in the turn's check phase (setImmediate): what the turn wrote
 * leaves in one writev. A packet waits at most until the end of the turn it was written in;
 * write()'s backpressure answer and 'drain' are the stream's own (corked bytes count in
 * writableLength), and end()/destroy() flush or drop as they would.
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

/** The stream's cork(), as an own property: holds the stream corked until the turn ends. */
function corkUntilTurnEnds(this: Writable): void {
  cork.call(this);
  if (held.has(this)) return;
  held.add(this);
  cork.call(this);
  release ??= setImmediate(releaseHeld);
}

/** Makes writes to `stream` leave once per turn (call before anything is written). */
export function coalesceTurnWrites(stream: Writable): void {
  stream.cork = corkUntilTurnEnds;
}
