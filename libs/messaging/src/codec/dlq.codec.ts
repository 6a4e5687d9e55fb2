import { HEADERS } from '../headers.js';
import type { IncomingRecord, OutgoingRecord, RecordOrigin } from './record.js';

/** `topic:partition:offset` of the record that could not be handled. */
export function dlqSource(origin: RecordOrigin): string {
  return `${origin.topic}:${origin.partition}:${origin.offset}`;
}

/** The `fleetmq.dlq` copy of a record: same key, value and headers, plus why and from where. */
export function buildDlqRecord(source: IncomingRecord, origin: RecordOrigin, reason: string): OutgoingRecord {
  const headers: OutgoingRecord['headers'] = {};
  for (const [name, value] of Object.entries(source.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  headers[HEADERS.dlqReason] = reason;
  headers[HEADERS.dlqSource] = dlqSource(origin);
  return { key: source.key, value: source.value, headers };
}
