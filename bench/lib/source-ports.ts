/**
 * Local ports for benchmark connections, picked by the generator instead of the kernel.
 *
 * A socket bound to a source address with port 0 makes Linux search that address's bound ports
 * for a free one (inet_csk_get_port), which costs time in proportion to the ports already in
 * use: at 19,000 connections from one address, `perf` showed the generator spending about 90 %
 * of its core there, so the connect rate measured the generator's kernel rather than the broker.
 * Binding a given port is one hash-bucket check. Each generator owns its source addresses
 * (`AddressPool` hands each out once per scenario), so a counter per address suffices; a port
 * somebody else holds (a listener on 0.0.0.0, a TIME_WAIT left on a reused address) fails the
 * bind or the connect and is skipped.
 */
export class SourcePorts {
  static readonly FIRST = 1024;
  static readonly LAST = 65535;
  private readonly next = new Map<string, number>();

  /** The next port to try on `address`, wrapping round the range. */
  take(address: string): number {
    const port = this.next.get(address) ?? SourcePorts.FIRST;
    this.next.set(address, port >= SourcePorts.LAST ? SourcePorts.FIRST : port + 1);
    return port;
  }
}

/** Whether a connect failed only because the chosen local port (or its 4-tuple) is taken. */
export function isSourcePortTaken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL';
}
