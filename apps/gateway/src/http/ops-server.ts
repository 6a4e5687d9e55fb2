import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';
import { checkReadiness, type DependencyCheck } from '#config';

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Health as seen by this process: 200 when every check passes, 503 with the failing ones. */
export type HealthCheck = () => Promise<Record<string, unknown>>;

/**
 * The standalone gateway's small HTTP side: GET /health, /health/live (the process answers),
 * /health/ready (every dependency in `readiness` answers; 503 names those that do not) and
 * GET /metrics (prom-client's default registry, where the gateway and bridge counters live).
 */
export async function startOpsServer(port: number, host: string, health: HealthCheck, readiness: readonly DependencyCheck[] = []): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      register.metrics().then(
        (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    if (path === '/health/live') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}');
      return;
    }
    if (path === '/health/ready') {
      void checkReadiness(readiness).then((report) =>
        res.writeHead(report.status === 'ready' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report)),
      );
      return;
    }
    if (path === '/health') {
      health().then(
        (details) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...details })),
        (err: unknown) =>
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable', error: err instanceof Error ? err.message : String(err) })),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
