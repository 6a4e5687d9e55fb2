import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { checkReadiness, type DependencyCheck } from '#config';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  healthy: () => boolean;
  /** What GET /health/ready checks (database, Kafka); 503 names the ones that do not answer. */
  readiness?: readonly DependencyCheck[];
}

/** /health, /health/live, /health/ready and /metrics of the standalone router: a process with no REST API needs no framework. */
export async function startOpsServer(options: OpsServerOptions): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health/live') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'live' }));
      return;
    }
    if (req.method === 'GET' && path === '/health/ready') {
      void checkReadiness(options.readiness ?? []).then((report) => {
        res.writeHead(report.status === 'ready' ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(report));
      });
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      const ok = options.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      options.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 404, title: 'Not Found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
