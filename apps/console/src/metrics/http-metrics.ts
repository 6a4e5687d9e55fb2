import { Counter, Histogram, register } from 'prom-client';

/** Minimal views of the Node request/response the middleware reads. */
interface MetricsRequest {
  method?: string;
  route?: { path?: unknown };
}
interface MetricsResponse {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/** prom-client's registry is process-wide: reuse a metric when another app instance made it. */
function counter(): Counter<'method' | 'route' | 'status'> {
  const name = 'fleetmq_console_http_requests_total';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<'method' | 'route' | 'status'>;
  return new Counter({ name, help: 'Console HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'] });
}

function histogram(): Histogram<'method' | 'route'> {
  const name = 'fleetmq_console_http_request_duration_seconds';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram<'method' | 'route'>;
  return new Histogram({ name, help: 'Console HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
}

/**
 * Express middleware counting requests by route *pattern* (`/api/v1/instances/:instanceId`),
 * never by concrete path, so label cardinality stays bounded.
 */
export function httpMetricsMiddleware(): (req: MetricsRequest, res: MetricsResponse, next: () => void) => void {
  const requests = counter();
  const duration = histogram();
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = typeof req.route?.path === 'string' ? req.route.path : 'unmatched';
      const method = req.method ?? 'GET';
      requests.inc({ method, route, status: String(res.statusCode) });
      duration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
