export { createRetry } from './retry.js';
export type { RetryOptions, Retriable, Bail } from './retry.js';
export { createBackoff, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions, BackoffPolicy } from './backoff.js';
