/** One bad input field, as the API reports it. */
export interface FieldError {
  field: string;
  reason: string;
}

/**
 * Base of every error a console service throws: a stable `code` for clients and logs, and the
 * HTTP status it maps to at the edge (the services themselves know nothing of HTTP).
 */
export abstract class ConsoleError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  readonly retriable: boolean = false;
}

/** An ID in the path (or a referenced ID) names nothing. */
export class NotFoundError extends ConsoleError {
  override readonly name = 'NotFoundError';
  readonly code = 'not-found';
  readonly status = 404;
  readonly title = 'Not Found';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} '${id}' does not exist`);
  }
}

/** The request collides with existing state: a duplicate, or an action the state forbids. */
export class ConflictError extends ConsoleError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A duplicate of an existing resource. */
export class DuplicateError extends ConflictError {
  constructor(resource: string, id: string) {
    super('duplicate', `${resource} '${id}' already exists`);
  }
}

/** Input that passed the DTO rules but fails a rule that needs context (parent topics, kinds). */
export class InvalidInputError extends ConsoleError {
  override readonly name = 'InvalidInputError';
  readonly code = 'invalid-input';
  readonly status = 400;
  readonly title = 'Bad Request';
  constructor(readonly errors: readonly FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.reason}`).join('; '));
  }

  static field(field: string, reason: string): InvalidInputError {
    return new InvalidInputError([{ field, reason }]);
  }
}

export class UnauthorizedError extends ConsoleError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly title = 'Unauthorized';
}

export class ForbiddenError extends ConsoleError {
  override readonly name: string = 'ForbiddenError';
  readonly code: string = 'forbidden';
  readonly status = 403;
  readonly title = 'Forbidden';
}

/** The request body is larger than its route may receive (checked before reading when declared). */
export class BodyTooLargeError extends ConsoleError {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'body-too-large';
  readonly status = 413;
  readonly title = 'Payload Too Large';
  constructor(readonly limit: number) {
    super(`request body is larger than the ${limit} bytes this route accepts`);
  }
}

/** The request body cannot be read as JSON (bad syntax, compressed, cut off). */
export class MalformedBodyError extends ConsoleError {
  override readonly name = 'MalformedBodyError';
  readonly code = 'malformed-body';
  readonly status = 400;
  readonly title = 'Bad Request';
}

/**
 * A body in another format than JSON would reach the DTOs as nothing and be refused field by
 * field ("name is required") although the user did send a name: curl's `-d` without
 * `-H 'Content-Type: application/json'` sends a form. Say what is wrong instead.
 */
export class UnsupportedMediaTypeError extends ConsoleError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'unsupported-media-type';
  readonly status = 415;
  readonly title = 'Unsupported Media Type';
  constructor(contentType: string | undefined) {
    const sent = contentType === undefined || contentType === '' ? 'no Content-Type' : `Content-Type ${contentType.split(';')[0]}`;
    super(`the request body must be JSON, sent with the header Content-Type: application/json (this request had ${sent})`);
  }
}

/** A dependency (database, Kafka) cannot be reached; retrying later may succeed. */
export class UnavailableError extends ConsoleError {
  override readonly name = 'UnavailableError';
  readonly code = 'unavailable';
  readonly status = 503;
  readonly title = 'Service Unavailable';
  override readonly retriable = true;
}
