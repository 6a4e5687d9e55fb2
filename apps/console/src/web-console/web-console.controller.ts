import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/principal.js';
import { NotFoundError, UnavailableError } from '../common/errors.js';
import { contentTypeOf, isAssetName } from './static-files.js';
import { WEB_CONSOLE_DIR } from './web-console.tokens.js';

/**
 * The page holds the admin token: no framing (clickjacking), scripts and styles from this origin
 * only, and network access to this origin plus MQTT over WebSocket on any host (the gateway's
 * port differs from the console's). The browser spec fails on any violation.
 */
const PAGE_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  // MQTT.js runs its keep-alive timers in a blob worker, so background tabs do not throttle them.
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The part of an HTTP response this controller writes. */
interface FileResponse {
  setHeader(name: string, value: string): unknown;
  send(body: Buffer): unknown;
}

/**
 * Serves the built web console at `/` (same origin as /api/v1). The files hold no secrets, so
 * they are public; the page asks for the admin token and sends it with each API call.
 */
@ApiExcludeController()
@Public()
@Controller()
export class WebConsoleController {
  constructor(@Inject(WEB_CONSOLE_DIR) private readonly dir: string) {}

  @Get()
  async index(@Res() res: FileResponse): Promise<void> {
    let html: Buffer;
    try {
      html = await readFile(join(this.dir, 'index.html'));
    } catch {
      throw new UnavailableError('the web console is not built: run `npm run build` (or `npm run build:web`)');
    }
    // The page names hashed assets: it must be fetched again after each build.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Type', contentTypeOf('index.html'));
    res.setHeader('Content-Security-Policy', PAGE_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(html);
  }

  @Get('assets/:name')
  async asset(@Param('name') name: string, @Res() res: FileResponse): Promise<void> {
    if (!isAssetName(name)) throw new NotFoundError('asset', name);
    let body: Buffer;
    try {
      body = await readFile(join(this.dir, 'assets', name));
    } catch {
      throw new NotFoundError('asset', name);
    }
    // Names carry a content hash: a changed file gets a new name.
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Type', contentTypeOf(name));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.send(body);
  }
}
