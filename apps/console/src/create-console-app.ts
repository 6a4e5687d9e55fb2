import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createLogger, PinoNestLogger } from '#config';
import { problem, sendProblem, type ProblemResponse } from './common/problem.js';
import { ConsoleModule } from './console.module.js';
import type { ConsoleOptions } from './console.options.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';

/** Body parser errors (bad JSON, too large) arrive here, before any Nest route or filter. */
function bodyErrorHandler(err: { status?: unknown; type?: unknown; message?: unknown }, _req: unknown, res: ProblemResponse, next: (e?: unknown) => void): void {
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : undefined;
  if (status === undefined) return next(err);
  const detail = err.type === 'entity.too.large' ? 'request body is too large' : 'request body is not valid JSON';
  sendProblem(res, problem(status, status === 413 ? 'Payload Too Large' : 'Bad Request', detail, { code: String(err.type ?? 'bad-body') }));
}

/**
 * A body in any other format than JSON would reach the DTOs as an empty object and be refused
 * field by field ("name is required") although the user did send a name: curl's `-d` without
 * `-H 'Content-Type: application/json'` sends a form. Answer what is wrong instead.
 */
function requireJsonBody(req: { method: string; headers: Record<string, string | string[] | undefined> }, res: ProblemResponse, next: () => void): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (!hasBody || /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) return next();
  const sent = type === '' ? 'no Content-Type' : `Content-Type ${type.split(';')[0]}`;
  sendProblem(res, problem(415, 'Unsupported Media Type', `the request body must be JSON, sent with the header Content-Type: application/json (this request had ${sent})`, { code: 'unsupported-media-type' }));
}

/** Largest JSON body: a full message batch of maximal payloads in base64. */
function bodyLimit(options: ConsoleOptions): number {
  return Math.max(1024 * 1024, Math.ceil((options.config.limits.maxPayloadBytes * 4) / 3) * 100 + 256 * 1024);
}

export function buildOpenApiDocument(app: NestExpressApplication): ReturnType<typeof SwaggerModule.createDocument> {
  const config = new DocumentBuilder()
    .setTitle('FleetMQ console API')
    .setDescription('Instances, parent topics, groups, credentials, rules, sessions and messages of a FleetMQ gateway')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'the admin token' }, 'bearer')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'AccessKeyId:SecretKey of the instance (token routes only)' }, 'basic')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Builds (does not listen) the console application: global pipes/filter/guard come with
 * ConsoleModule; this adds the body parser, HTTP metrics, the pino logger, OpenAPI at
 * /api/docs and /api/docs-json, and shutdown hooks. Call `await app.listen(port, host)` after.
 */
export async function createConsoleApp(options: ConsoleOptions): Promise<NestExpressApplication> {
  const logger = options.logger ?? createLogger(options.config.logLevel, { role: 'console' });
  const app = await NestFactory.create<NestExpressApplication>(ConsoleModule.register({ ...options, logger }), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  app.use(httpMetricsMiddleware());
  app.use(requireJsonBody);
  app.useBodyParser('json', { limit: bodyLimit(options) });
  app.use(bodyErrorHandler);
  app.disable('x-powered-by');
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app));
  app.enableShutdownHooks();
  await app.init();
  return app;
}
