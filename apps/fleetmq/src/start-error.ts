/**
 * A start failure whose cause is known: printed as one plain line, `<cause>: <fix>`, with no
 * stack, because the user can act on it (a port taken, a second FleetMQ on the same data folder).
 */
export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${reason}. ${fix}`);
  }
}
