import type { Logger } from '#config';
import type { FromUplinkWorker, LogLevelName } from './messages.js';

const LEVELS: readonly LogLevelName[] = ['error', 'warn', 'info', 'debug'];

/**
 * A Logger for code running in the uplink worker (the producer, kafkajs's log creator): each
 * line goes to the gateway's thread, which writes it through the process's pino logger, so the
 * worker's lines carry the same bindings and go to the same place. Only the methods that code
 * uses; lines are rare (state changes, failures), never per record.
 */
export function portLogger(post: (message: FromUplinkWorker) => void, bindings: Record<string, unknown> = {}): Logger {
  const logger: Record<string, unknown> = {
    child: (more: Record<string, unknown>) => portLogger(post, { ...bindings, ...more }),
  };
  for (const level of LEVELS) {
    logger[level] = (objOrMsg: unknown, msg?: string) => {
      const obj = typeof objOrMsg === 'object' && objOrMsg !== null ? (objOrMsg as Record<string, unknown>) : {};
      const text = typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '');
      try {
        post({ t: 'log', level, bindings, obj, msg: text });
      } catch {
        // Something in `obj` cannot be cloned (a function, a socket): the line without it.
        post({ t: 'log', level, bindings, obj: {}, msg: text });
      }
    };
  }
  return logger as unknown as Logger;
}
