/** JSON record values: parse to a plain object or say why not. */
export function parseJsonObject(value: Buffer | null): Record<string, unknown> | string {
  if (value === null || value.length === 0) return 'empty value';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return 'value is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'value is not a JSON object';
  return parsed as Record<string, unknown>;
}

export function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function isOptionalString(v: unknown): v is string | undefined {
  return v === undefined || typeof v === 'string';
}
