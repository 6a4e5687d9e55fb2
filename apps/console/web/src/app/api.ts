// The console API from the page: same origin, admin token as a bearer, problem+json errors.

/** One field the API named in a 400 answer. */
export interface FieldError {
  field: string;
  reason: string;
}

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
}

/** A non-2xx answer; `problem` is the application/problem+json body when the API sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

const TOKEN_KEY = 'fleetmq.adminToken';
const listeners = new Set<() => void>();

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
}

/** Kept for this tab only (sessionStorage) unless the operator asks to remember it on this browser. */
export function storeToken(token: string, remember: boolean): void {
  forgetToken();
  (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
  listeners.forEach((l) => l());
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  listeners.forEach((l) => l());
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function api<T>(method: string, path: string, body?: unknown, token = storedToken()): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = { detail: text };
  }
  if (!res.ok) {
    // A token that stopped working (rotated, mistyped) sends the operator back to the sign-in form.
    if (res.status === 401 && token === storedToken()) forgetToken();
    throw new ApiError(res.status, (parsed as Problem | undefined) ?? { title: res.statusText });
  }
  return parsed as T;
}

/** `/api/v1/instances/<id>` with the ID escaped. */
export function instancePath(instanceId: string, rest = ''): string {
  return `/api/v1/instances/${encodeURIComponent(instanceId)}${rest}`;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
