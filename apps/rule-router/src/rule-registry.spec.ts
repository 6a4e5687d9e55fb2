import { createLogger } from '#config';
import type { StoredRule } from '#domain';
import { RuleSourceRepository } from '#domain/persistence';
import { RuleRegistry } from './rule-registry.js';

class FakeSource extends RuleSourceRepository {
  rows: StoredRule[] = [];
  loads = 0;
  fail = false;
  gate: Promise<void> | null = null;

  async loadEnabled(): Promise<StoredRule[]> {
    this.loads++;
    if (this.gate) await this.gate;
    if (this.fail) throw new Error('database down');
    return this.rows.map((r) => ({ ...r }));
  }
}

const outflow = (id: string, topicFilter = 'telemetry/#'): StoredRule => ({
  id,
  instanceId: 'fmq-abcdef',
  name: id,
  kind: 'outflow',
  source: { topicFilter },
  target: { kafkaTopic: 'orders' },
  enabled: true,
  createdAt: new Date(0),
});

describe('RuleRegistry', () => {
  const logger = createLogger('silent');
  let registry: RuleRegistry;
  afterEach(() => registry?.stop());

  it('loads at start, skips invalid rows, and notifies only on a real change', async () => {
    const source = new FakeSource();
    source.rows = [outflow('r1'), outflow('bad', 'a/#/b')];
    registry = new RuleRegistry(source, logger);
    const changes: number[] = [];
    registry.on('changed', (rules) => changes.push(rules.rules.length));
    await registry.start(60_000);
    expect(registry.current().rules.map((r) => r.id)).toEqual(['r1']);
    await registry.reload();
    expect(changes).toEqual([1]);
    source.rows = [outflow('r1'), outflow('r2')];
    await registry.reload();
    expect(changes).toEqual([1, 2]);
    expect(registry.current().outflowFor('fmq-abcdef', 'telemetry/x').map((r) => r.id)).toEqual(['r1', 'r2']);
  });

  it('polls by itself', async () => {
    const source = new FakeSource();
    registry = new RuleRegistry(source, logger);
    await registry.start(20);
    source.rows = [outflow('r1')];
    const deadline = Date.now() + 2_000;
    while (registry.current().rules.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(registry.current().rules.map((r) => r.id)).toEqual(['r1']);
  });

  it('coalesces reload requests made while one runs, and keeps the rules when a reload fails', async () => {
    const source = new FakeSource();
    source.rows = [outflow('r1')];
    registry = new RuleRegistry(source, logger);
    await registry.start(60_000);
    let open!: () => void;
    source.gate = new Promise((r) => (open = r));
    const before = source.loads;
    const first = registry.reload();
    const others = [registry.reload(), registry.reload(), registry.reload()];
    open();
    source.gate = null;
    await Promise.all([first, ...others]);
    // One running load plus one more for everything asked meanwhile.
    expect(source.loads - before).toBe(2);
    source.fail = true;
    await registry.reload();
    expect(registry.current().rules.map((r) => r.id)).toEqual(['r1']);
  });
});
