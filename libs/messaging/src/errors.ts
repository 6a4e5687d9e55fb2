/**
 * Errors of #messaging carry a stable `code` and whether trying again can help (`retriable`),
 * so callers decide by data (retry, DLQ, CONNACK/PUBACK policy) rather than by message text.
 */
export class FleetMqError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Kafka cannot be reached or did not acknowledge; the operation may succeed later. */
export class KafkaUnavailableError extends FleetMqError {
  constructor(message = 'kafka unavailable', options?: { cause?: unknown }) {
    super('KAFKA_UNAVAILABLE', message, true, options);
  }
}

/** A record that cannot be decoded; `reason` names the problem and goes into the DLQ header. */
export class MalformedRecordError extends FleetMqError {
  constructor(readonly reason: string) {
    super('MALFORMED_RECORD', `malformed record: ${reason}`, false);
  }
}

/** A bounded queue is full: the record was not accepted (QoS 0 uplink, presence). */
export class QueueFullError extends FleetMqError {
  constructor(what: string) {
    super('QUEUE_FULL', `${what} queue full`, true);
  }
}

/** Kafka refused the record itself (e.g. larger than the broker accepts): retrying cannot help. */
export class RecordRejectedError extends FleetMqError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RECORD_REJECTED', message, false, options);
  }
}

/** The component is stopping or stopped and accepts nothing more. */
export class MessagingStoppedError extends FleetMqError {
  constructor(what: string) {
    super('MESSAGING_STOPPED', `${what} is stopped`, true);
  }
}

/** A presence directory opened as a reader (the console) was asked to write an entry: a programming error. */
export class PresenceReadOnlyError extends FleetMqError {
  constructor() {
    super('PRESENCE_READ_ONLY', 'presence directory opened as a reader: it writes no entries', false);
  }
}

/** `createRetry` gave up: every attempt failed; `cause` is the last error. */
export class RetriesExhaustedError extends FleetMqError {
  constructor(
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super('RETRIES_EXHAUSTED', `gave up after ${attempts} attempts: ${describe(options.cause)}`, true, options);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
