import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** A unique, time-ordered record id (ULID, monotonic within this process): `fleetmq-msgid`. */
export function newMessageId(): string {
  return next();
}
