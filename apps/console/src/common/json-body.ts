import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, MalformedBodyError, UnsupportedMediaTypeError } from './errors.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Whether the request announces a body at all (RFC 9112 §6.3). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * Reads and parses a JSON request body of at most `limit` bytes. A declared length over the
 * limit is refused before a byte is read; a chunked body is cut off as soon as it passes the
 * limit. Resolves undefined when there is no body (the route's validation decides); a body that
 * is not declared as JSON is refused with 415.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve(undefined);
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return Promise.reject(new UnsupportedMediaTypeError(req.headers['content-type']));
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return Promise.reject(new MalformedBodyError('compressed request bodies are not accepted'));
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; Node discards the rest of the body once the 413 is sent.
        chunks.length = 0;
        return fail(new BodyTooLargeError(limit));
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const text = Buffer.concat(chunks, size).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new MalformedBodyError('request body is not valid JSON'));
      }
    };
    const onError = (err: Error): void => fail(new MalformedBodyError(`request body could not be read: ${err.message}`));
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
