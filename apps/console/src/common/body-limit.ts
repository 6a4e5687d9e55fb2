import { SetMetadata } from '@nestjs/common';
import type { FleetMqConfig } from '#config';
import { MAX_BATCH_MESSAGES } from '../messages/dto/message.dto.js';
import { MAX_TOKEN_RESOURCES } from '../tokens/dto/token.dto.js';

/** Which body size a route may receive: one message, a full batch, or small (everything else). */
export type BodyKind = 'small' | 'message' | 'batch';

export const BODY_LIMIT = 'fleetmq:body-limit';

/** Routes that carry message payloads; every other route gets the small limit. */
export const BodyLimit = (kind: Exclude<BodyKind, 'small'>): MethodDecorator => SetMetadata(BODY_LIMIT, kind);

const ENVELOPE_BYTES = 4 * 1024;

/**
 * Bytes each kind of route may receive, derived from what it can legitimately carry: one
 * message is its payload in base64 (the larger encoding) plus topic and fields; a batch is the
 * allowed count of those; small bodies fit a token request of the maximal resource count.
 */
export function bodyLimits(limits: FleetMqConfig['limits']): Readonly<Record<BodyKind, number>> {
  const message = Math.ceil(limits.maxPayloadBytes / 3) * 4 + limits.maxTopicLength + ENVELOPE_BYTES;
  return Object.freeze({
    small: Math.max(64 * 1024, MAX_TOKEN_RESOURCES * (limits.maxTopicLength + 8) + ENVELOPE_BYTES),
    message,
    batch: MAX_BATCH_MESSAGES * message + ENVELOPE_BYTES,
  });
}
