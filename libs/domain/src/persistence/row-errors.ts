// SQLSTATE class 22 (data exception: too long, bad encoding, NUL byte) and 23 (integrity
// constraint): the statement failed because of what one of its rows holds, not because the
// database is unreachable; retrying the same row can never succeed.
const ROW_DATA_SQLSTATE = /^2[23]...$/;

function sqlstateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  const driver = (error as { driverError?: { code?: unknown } }).driverError;
  return typeof driver?.code === 'string' ? driver.code : undefined;
}

/** The database refused a row's data (SQLSTATE class 22 or 23), as opposed to being unavailable. */
export function isRowDataError(error: unknown): boolean {
  const code = sqlstateOf(error);
  return code !== undefined && ROW_DATA_SQLSTATE.test(code);
}
