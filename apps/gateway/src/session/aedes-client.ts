/**
 * Shrinks what aedes 1.2 (lib/client.js) and mqtt-packet allocate per connection, from the
 * outside and without changing behaviour (found with heap snapshots of idle connections; the
 * connections scenario of `npm run bench` measures the result, docs/BENCHMARKS.md).
 *
 * - `Object.create(null)` and EventEmitter's `{ __proto__: null }` make V8 dictionary-mode
 *   objects, large even when empty. A client has three (its listener table, its
 *   parser's, `duplicates`); each becomes an object whose prototype is one shared, frozen,
 *   null-prototype object: still no inherited names (`constructor`, `__proto__`) to collide
 *   with keys, but V8 keeps it in fast mode with a shared hidden class. `subscriptions` stays
 *   a dictionary: its keys are per-client topic filters, which would give every client its
 *   own hidden class.
 * - `_inboundInflight` (a Set used only for inbound QoS 2) is made when first used.
 */

/** The aedes Client fields touched here (aedes 1.2.0 lib/client.js). */
interface SlimmableClient {
  _events: object;
  duplicates: Record<string, number>;
  _inboundInflight: IdSet;
  _parser: { _events: object };
}

/** The part of Set aedes uses for `_inboundInflight` (lib/handlers/publish.js, pubrel.js). */
interface IdSet {
  readonly size: number;
  has(id: number): boolean;
  add(id: number): unknown;
  delete(id: number): boolean;
}

const NO_NAMES: object = Object.freeze(Object.create(null) as object);

/**
 * A fast-mode copy of a null-prototype dictionary (see above). `lastKey` goes last: deleting
 * any other key turns the object back into a dictionary, deleting the last one does not.
 */
function fastTable<T extends object>(table: T, lastKey?: string): T {
  const from = table as Record<string | symbol, unknown>;
  const fast = Object.create(NO_NAMES) as Record<string | symbol, unknown>;
  for (const key of Reflect.ownKeys(from)) if (key !== lastKey) fast[key] = from[key];
  if (lastKey !== undefined && Object.hasOwn(from, lastKey)) fast[lastKey] = from[lastKey];
  return fast as T;
}

/** A Set of packet identifiers that allocates its Set on the first add. */
export class LazyIdSet implements IdSet {
  private ids: Set<number> | null = null;

  get size(): number {
    return this.ids === null ? 0 : this.ids.size;
  }

  has(id: number): boolean {
    return this.ids !== null && this.ids.has(id);
  }

  add(id: number): this {
    (this.ids ??= new Set()).add(id);
    return this;
  }

  delete(id: number): boolean {
    return this.ids !== null && this.ids.delete(id);
  }
}

/** Call right after `broker.handle()` created the client, before it reads anything. */
export function slimAedesClient(client: object): void {
  const c = client as SlimmableClient;
  // aedes' once('connected') listener is the one removed (at CONNACK).
  c._events = fastTable(c._events, 'connected');
  c._parser._events = fastTable(c._parser._events);
  c.duplicates = fastTable(c.duplicates);
  if (c._inboundInflight.size === 0) c._inboundInflight = new LazyIdSet();
}
