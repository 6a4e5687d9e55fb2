/**
 * An entity as a plain row object (own column fields only), so no TypeORM entity instance leaves
 * persistence: what a repository port returns can be copied, compared and serialised as data.
 */
export function toRow<Row extends object>(entity: Row): Row {
  return { ...entity };
}

export function toRowOrNull<Row extends object>(entity: Row | null): Row | null {
  return entity === null ? null : toRow(entity);
}
