import { randomBytes } from 'node:crypto';

/** Crockford base32, as ULID. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const COUNTER_SPAN = 2 ** 40;

function base32(value: number, chars: number): string {
  let text = '';
  for (let i = 0; i < chars; i++) {
    text = ALPHABET[value % 32]! + text;
    value = Math.floor(value / 32);
  }
  return text;
}

/**
 * Makes record ids in ULID format (26 chars: 48-bit ms time, 80 "random" bits), cheaply
 * enough for the uplink hot path. The 80 bits are a 40-bit random prefix drawn once per
 * factory (so two gateway nodes share it with odds of 2^-40) and a 40-bit counter that only
 * grows, so ids are unique per factory and sort in generation order. The time part never goes
 * back, even when the clock does.
 */
export function createMessageIdFactory(now: () => number = Date.now): () => string {
  const seed = randomBytes(5);
  const prefix = base32(seed.readUIntBE(0, 5), 8);
  let counter = Math.floor(Math.random() * 2 ** 20); // any start: not zero for every process
  let lastMs = -1;
  let timeText = '';
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      timeText = base32(ms, 10) + prefix;
    }
    counter = (counter + 1) % COUNTER_SPAN;
    return timeText + base32(counter, 8);
  };
}

const next = createMessageIdFactory();

/** A unique, time-ordered record id (ULID format, monotonic within this process): `fleetmq-msgid`. */
export function newMessageId(): string {
  return next();
}
