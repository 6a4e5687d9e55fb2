import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Logger } from '#config';
import { isRowDataError } from '#domain/persistence';
import { CONSOLE_LOGGER } from '../console.tokens.js';
import { isDatabaseUnavailable, isForeignKeyViolation, isUniqueViolation } from './database-errors.js';
import { ConsoleError, InvalidInputError } from './errors.js';
import { problem, sendProblem, type Problem, type ProblemResponse } from './problem.js';

/** Maps every error to problem+json at the edge; services only throw named errors. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(CONSOLE_LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ProblemResponse>();
    sendProblem(res, this.toProblem(error));
  }

  toProblem(error: unknown): Problem {
    if (error instanceof InvalidInputError) {
      return problem(400, error.title, error.message, { code: error.code, errors: [...error.errors] });
    }
    if (error instanceof ConsoleError) return problem(error.status, error.title, error.message, { code: error.code });
    if (error instanceof HttpException) return fromHttpException(error);
    // A concurrent request won the race for the same key: same answer as the explicit check.
    if (isUniqueViolation(error)) return problem(409, 'Conflict', 'the resource already exists', { code: 'duplicate' });
    // The parent disappeared between our check and the write (e.g. instance deleted meanwhile).
    if (isForeignKeyViolation(error)) return problem(409, 'Conflict', 'a referenced resource no longer exists', { code: 'missing-reference' });
    // A value PostgreSQL refuses to store or compare (a NUL byte, a too long text): the input's fault.
    if (isRowDataError(error)) {
      this.logger.warn({ err: String(error) }, 'database refused a value of the request');
      return problem(400, 'Bad Request', 'a value of the request cannot be stored (for example, it contains a NUL byte)', { code: 'invalid-value' });
    }
    if (isDatabaseUnavailable(error)) {
      this.logger.warn({ err: error }, 'database unavailable');
      return problem(503, 'Service Unavailable', 'the database cannot be reached', { code: 'unavailable' });
    }
    this.logger.error({ err: error }, 'unexpected error in console request');
    return problem(500, 'Internal Server Error', 'unexpected error', { code: 'internal' });
  }
}

function fromHttpException(error: HttpException): Problem {
  const status = error.getStatus();
  const body = error.getResponse();
  let title = error.name;
  let detail = error.message;
  if (typeof body === 'object' && body !== null) {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === 'string') title = b.error;
    if (typeof b.message === 'string') detail = b.message;
    else if (Array.isArray(b.message)) detail = b.message.join('; ');
  }
  return problem(status, title, detail);
}
