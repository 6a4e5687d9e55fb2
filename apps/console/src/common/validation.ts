import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { InvalidInputError, type FieldError } from './errors.js';

/**
 * Flattens class-validator's tree into dotted field paths (`messages.0.topic`). A missing
 * required field is one reason, "is required", not every rule its absent value breaks.
 */
export function flattenValidationErrors(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const reasons = Object.values(error.constraints ?? {});
    const missing = error.value === undefined || error.value === null;
    if (reasons.length > 0) out.push({ field, reason: missing ? 'is required' : reasons.join('; ') });
    if (error.children && error.children.length > 0) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** The one global pipe: unknown properties are refused, values converted to the DTO types. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // The value is kept only to tell a missing field from a wrong one; responses never echo it.
    validationError: { target: false, value: true },
    exceptionFactory: (errors: ValidationError[]) => new InvalidInputError(flattenValidationErrors(errors)),
  });
}
