/** Delivery was asked of a gateway whose broker is not running (before start() or after stop()). */
export class GatewayNotStartedError extends Error {
  constructor() {
    super('gateway not started');
    this.name = 'GatewayNotStartedError';
  }
}
