// A pino logger whose JSON lines a test can read back.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '#config';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The lines whose `msg` is `message`. */
  withMessage(message: string): Array<Record<string, unknown>>;
}

export function captureLogs(level: 'info' | 'warn' | 'debug' = 'info'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level }, sink), lines, withMessage: (message) => lines.filter((l) => l.msg === message) };
}
