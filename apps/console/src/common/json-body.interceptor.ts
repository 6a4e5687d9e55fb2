import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { Observable } from 'rxjs';
import type { FleetMqConfig } from '#config';
import { CONSOLE_CONFIG } from '../console.tokens.js';
import { BODY_LIMIT, bodyLimits, type BodyKind } from './body-limit.js';
import { BodyTooLargeError } from './errors.js';
import { readJsonBody } from './json-body.js';

/**
 * Reads the JSON body only now, after the global AuthGuard let the request in: an
 * unauthenticated request is answered 401 without its body ever being buffered, and each route
 * reads at most what it can legitimately receive (body-limit.ts), refusing more with 413.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly limits: Readonly<Record<BodyKind, number>>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONSOLE_CONFIG) config: FleetMqConfig,
  ) {
    this.limits = bodyLimits(config.limits);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<IncomingMessage & { body?: unknown }>();
    const kind = this.reflector.get<BodyKind | undefined>(BODY_LIMIT, context.getHandler()) ?? 'small';
    try {
      req.body = await readJsonBody(req, this.limits[kind]);
    } catch (err) {
      // Close after the 413 rather than read and discard the rest of an oversized upload.
      if (err instanceof BodyTooLargeError) context.switchToHttp().getResponse<{ setHeader(n: string, v: string): void }>().setHeader('Connection', 'close');
      throw err;
    }
    return next.handle();
  }
}
