import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createLogger, PinoNestLogger } from '#config';
import { refuseNulInUrl } from './common/nul-url.middleware.js';
import { ConsoleModule } from './console.module.js';
import type { ConsoleOptions } from './console.options.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';

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
 * Builds (does not listen) the console application: global pipes/filter/guard and the JSON
 * body reader (after authentication, per-route limits) come with ConsoleModule; this adds the
 * NUL-byte check of URLs, HTTP metrics, the pino logger, OpenAPI at
 * /api/docs and /api/docs-json, and shutdown hooks. Call `await app.listen(port, host)` after.
 */
export async function createConsoleApp(options: ConsoleOptions): Promise<NestExpressApplication> {
  const logger = options.logger ?? createLogger(options.config.logLevel, { role: 'console' });
  const app = await NestFactory.create<NestExpressApplication>(ConsoleModule.register({ ...options, logger }), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  app.use(httpMetricsMiddleware());
  app.use(refuseNulInUrl);
  app.disable('x-powered-by');
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app));
  app.enableShutdownHooks();
  await app.init();
  return app;
}
