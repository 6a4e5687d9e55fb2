import type { Message } from 'kafkajs';
import type { ProducerLike } from '../producer-like.js';

/** kafkajs error types that say the records themselves are refused: retrying the same request cannot help. */
const REJECTING_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);
/** How deep kafkajs's error wrapping (`cause`, `originalError`) is followed. */
const MAX_ERROR_DEPTH = 5;

export interface ProduceAttempt {
  topic: string;
  messages: Message[];
  /** Broker-side wait for the in-sync replicas (acks=all). */
  ackTimeoutMs: number;
  /** The attempt fails if it has not settled by then (guards against a hung client). */
  attemptTimeoutMs: number;
}

/** One `sendBatch`, acks=all, that settles within `attemptTimeoutMs` either way. */
export async function produceOnce(producer: ProducerLike, attempt: ProduceAttempt): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      producer.sendBatch({ acks: -1, timeout: attempt.ackTimeoutMs, topicMessages: [{ topic: attempt.topic, messages: attempt.messages }] }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`produce did not settle in ${attempt.attemptTimeoutMs} ms`)), attempt.attemptTimeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Walks kafkajs's wrapping (`cause`, `originalError`) looking for a record-level refusal. */
export function isRecordRejection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < MAX_ERROR_DEPTH; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REJECTING_TYPES.has(type)) return true;
    const inner = e as { cause?: unknown; originalError?: unknown };
    e = inner.cause ?? inner.originalError;
  }
  return false;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
