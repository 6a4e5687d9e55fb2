import type { Clock } from './ttl-cache.js';

/** Failures of one client ID from one address; backed off from `failures >= perClient`. */
interface ClientRecord {
  failures: number;
  /** No CONNECT of this client ID from this address is checked before this time. */
  blockedUntil: number;
  lastFailure: number;
}

interface AddressWindow {
  start: number;
  failures: number;
}

export interface AuthFailureLimits {
  /** Checked failures per address per minute before the whole address is refused (the NAT ceiling). */
  perAddressPerMinute: number;
  /** Failures of one client ID from one address before it is backed off. */
  perClient: number;
  /** First back-off; doubles with each further failure. */
  backoffMs: number;
  backoffMaxMs: number;
}

export type AuthBlock = 'client-backoff' | 'address-ceiling';

const MINUTE = 60_000;

/**
 * Decides which CONNECTs are refused (CONNACK 5) without checking their credentials.
 *
 * Keyed on client ID + source address, with exponential back-off: a device with a wrong
 * secret slows itself down and nobody else. Not on the address alone: thousands of devices
 * behind one carrier NAT address share it, and one bad device would lock all of them out.
 * Not on the client ID alone: client IDs are guessable, so anyone could lock a device out
 * from elsewhere. Above that, a per-address ceiling far higher than one device's failures
 * stops a guesser who rotates client IDs. Refused-unchecked attempts count for neither, so
 * a device retrying in a tight loop does not extend its back-off or use up its address's
 * ceiling.
 */
export class AuthFailureLimiter {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly addresses = new Map<string, AddressWindow>();
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(
    private readonly limits: AuthFailureLimits,
    options: { clock?: Clock; maxEntries?: number } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /** Why a CONNECT of `clientId` from `address` is refused unchecked, or null to check it. */
  blocked(clientId: string, address: string): AuthBlock | null {
    const now = this.clock();
    const w = this.addresses.get(address);
    if (w !== undefined) {
      if (now - w.start >= MINUTE) this.addresses.delete(address);
      else if (w.failures >= this.limits.perAddressPerMinute) return 'address-ceiling';
    }
    const record = this.clients.get(key(clientId, address));
    return record !== undefined && now < record.blockedUntil ? 'client-backoff' : null;
  }

  recordFailure(clientId: string, address: string): void {
    const now = this.clock();
    const w = this.addresses.get(address);
    if (w === undefined || now - w.start >= MINUTE) {
      if (w === undefined && this.addresses.size >= this.maxEntries) this.prune(now);
      this.addresses.set(address, { start: now, failures: 1 });
    } else {
      w.failures++;
    }
    const k = key(clientId, address);
    let record = this.clients.get(k);
    // A long-quiet record starts again: the device was fixed, or it is another one now.
    if (record !== undefined && now - record.lastFailure >= this.forgetAfter()) record = undefined;
    if (record === undefined) {
      if (this.clients.size >= this.maxEntries) this.prune(now);
      record = { failures: 0, blockedUntil: 0, lastFailure: now };
      this.clients.set(k, record);
    }
    record.failures++;
    record.lastFailure = now;
    const over = record.failures - this.limits.perClient;
    if (over >= 0) record.blockedUntil = now + Math.min(this.limits.backoffMaxMs, this.limits.backoffMs * 2 ** Math.min(over, 30));
  }

  /** A CONNECT of `clientId` from `address` was accepted: its back-off is over. */
  recordSuccess(clientId: string, address: string): void {
    if (this.clients.size > 0) this.clients.delete(key(clientId, address));
  }

  /** Client ID + address pairs and addresses currently tracked (for tests and metrics). */
  get tracked(): { clients: number; addresses: number } {
    return { clients: this.clients.size, addresses: this.addresses.size };
  }

  prune(now = this.clock()): void {
    const forget = this.forgetAfter();
    for (const [k, r] of this.clients) if (now - r.lastFailure >= forget) this.clients.delete(k);
    for (const [a, w] of this.addresses) if (now - w.start >= MINUTE) this.addresses.delete(a);
    // A flood from very many sources: forget the oldest rather than grow without bound.
    dropOldest(this.clients, this.maxEntries);
    dropOldest(this.addresses, this.maxEntries);
  }

  private forgetAfter(): number {
    return Math.max(MINUTE, 2 * this.limits.backoffMaxMs);
  }
}

// '\n' cannot occur in an address, so the pair is unambiguous.
function key(clientId: string, address: string): string {
  return address + '\n' + clientId;
}

function dropOldest(map: Map<string, unknown>, max: number): void {
  if (map.size < max) return;
  let drop = Math.max(1, Math.floor(max / 4));
  for (const k of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(k);
  }
}
