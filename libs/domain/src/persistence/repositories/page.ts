/** One page of a keyset-paginated list: `nextKey` is the last key when more rows follow. */
export interface Page<T> {
  items: T[];
  nextKey: string | null;
}

/** Asked for one row more than the page holds, to know whether another page follows. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, nextKey: more ? keyOf(items[items.length - 1]!) : null };
}
