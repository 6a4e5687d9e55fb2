import {
  AccessKeyRepository, InstanceRepository, ParentTopicRepository, TokenRepository,
  type AccessKeyRow, type InstanceRow, type InstancePatch, type NewAccessKey, type NewInstance, type NewToken,
  type Page, type ParentTopicRow, type TokenRow,
} from '#domain/persistence';

function page<T>(rows: T[], key: (r: T) => string, limit: number, after?: string): Page<T> {
  const sorted = rows.filter((r) => after === undefined || key(r) > after).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const items = sorted.slice(0, limit);
  return { items, nextKey: sorted.length > limit ? key(items[items.length - 1]!) : null };
}

/** Unit-test stand-ins for the repositories: plain maps, same contract. */
export class InMemoryInstanceRepository extends InstanceRepository {
  readonly rows = new Map<string, InstanceRow>();

  constructor() {
    super();
    const now = new Date();
    this.rows.set('default', { id: 'default', name: 'default', description: '', anonymous: true, createdAt: now, updatedAt: now });
  }
  async findById(id: string) {
    return this.rows.get(id) ?? null;
  }
  async findByName(name: string) {
    return [...this.rows.values()].find((r) => r.name === name) ?? null;
  }
  async list(limit: number, afterId?: string) {
    return page([...this.rows.values()], (r) => r.id, limit, afterId);
  }
  async create(i: NewInstance) {
    const now = new Date();
    const row: InstanceRow = { ...i, anonymous: false, createdAt: now, updatedAt: now };
    this.rows.set(i.id, row);
    return row;
  }
  async update(id: string, patch: InstancePatch) {
    const row = this.rows.get(id);
    if (!row) return null;
    Object.assign(row, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), { updatedAt: new Date() });
    return row;
  }
  async delete(id: string) {
    return this.rows.delete(id);
  }
}

export class InMemoryParentTopicRepository extends ParentTopicRepository {
  readonly rows: ParentTopicRow[] = [];
  async find(instanceId: string, name: string) {
    return this.rows.find((r) => r.instanceId === instanceId && r.name === name) ?? null;
  }
  async names(instanceId: string) {
    return this.rows.filter((r) => r.instanceId === instanceId).map((r) => r.name);
  }
  async list(instanceId: string, limit: number, after?: string) {
    return page(this.rows.filter((r) => r.instanceId === instanceId), (r) => r.name, limit, after);
  }
  async create(t: { instanceId: string; name: string; description: string }) {
    const row = { ...t, createdAt: new Date() };
    this.rows.push(row);
    return row;
  }
  async delete(instanceId: string, name: string) {
    const i = this.rows.findIndex((r) => r.instanceId === instanceId && r.name === name);
    if (i >= 0) this.rows.splice(i, 1);
    return i >= 0;
  }
}

export class InMemoryAccessKeyRepository extends AccessKeyRepository {
  readonly rows = new Map<string, AccessKeyRow>();
  async find(id: string) {
    return this.rows.get(id) ?? null;
  }
  async list(instanceId: string, limit: number, after?: string) {
    return page([...this.rows.values()].filter((r) => r.instanceId === instanceId), (r) => r.accessKeyId, limit, after);
  }
  async create(k: NewAccessKey) {
    const now = new Date();
    const row: AccessKeyRow = { ...k, enabled: true, createdAt: now, updatedAt: now };
    this.rows.set(k.accessKeyId, row);
    return row;
  }
  async update(id: string, patch: { enabled?: boolean; description?: string }) {
    const row = this.rows.get(id);
    if (!row) return null;
    Object.assign(row, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    return row;
  }
  async delete(id: string) {
    return this.rows.delete(id);
  }
}

export class InMemoryTokenRepository extends TokenRepository {
  readonly rows = new Map<string, TokenRow>();
  async create(t: NewToken) {
    const row: TokenRow = { ...t, revokedAt: null, createdAt: new Date() };
    this.rows.set(t.tokenHash, row);
    return row;
  }
  async findByHash(hash: string) {
    return this.rows.get(hash) ?? null;
  }
  async revoke(hash: string, at: Date) {
    const row = this.rows.get(hash);
    if (row && row.revokedAt === null) row.revokedAt = at;
    return row !== undefined;
  }
}
