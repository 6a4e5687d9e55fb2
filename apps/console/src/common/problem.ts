import type { FieldError } from './errors.js';

/** RFC 9457 problem details, as every console error is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Minimal view of a Node/Express response, so the filter and middlewares need no express types. */
export interface ProblemResponse {
  status(code: number): ProblemResponse;
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
  headersSent?: boolean;
}

export function problem(status: number, title: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: extra.code ? `urn:fleetmq:problem:${extra.code}` : 'about:blank', title, status, detail, ...extra };
}

export function sendProblem(res: ProblemResponse, body: Problem): void {
  if (res.headersSent) return;
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="fleetmq", Basic realm="fleetmq"');
  res.status(body.status).send(JSON.stringify(body));
}
