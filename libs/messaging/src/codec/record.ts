import { MalformedRecordError } from '../errors.js';

/**
 * The Kafka record shapes the codecs speak, structurally compatible with kafkajs's `Message`
 * (produce) and `KafkaMessage` (consume) so the codecs need no kafkajs import.
 */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type RecordHeaders = Record<string, HeaderValue>;

export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer | (string | Buffer)[]>;
  /** murmur2 of `key` when already known, so the partitioner does not hash it again (kafka/partitioner.ts). */
  keyHash?: number;
}

export interface IncomingRecord {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: RecordHeaders;
}

/** Where a consumed record came from (for the DLQ's `fleetmq-dlq-source`). */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** A decoded record, or the named error whose `reason` goes into the DLQ header. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: MalformedRecordError };

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T>(reason: string): ParseResult<T> {
  return { ok: false, error: new MalformedRecordError(reason) };
}

/** A header as text; a repeated header yields its first value, as for HTTP. */
export function headerText(headers: RecordHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

export function keyText(key: Buffer | string | null): string | undefined {
  if (key === null) return undefined;
  return typeof key === 'string' ? key : key.toString('utf8');
}
