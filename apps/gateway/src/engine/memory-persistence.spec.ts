import { createMemoryPersistence, type SubscriptionLookups } from './memory-persistence.js';

/** The real aedes-persistence behind the cache; the broker is only what its setup reads. */
async function store(): Promise<SubscriptionLookups> {
  const persistence = createMemoryPersistence() as unknown as SubscriptionLookups & { setup(broker: object): Promise<void> };
  await persistence.setup({ id: 'test-broker' });
  return persistence;
}

const sub = (topic: string, qos = 1) => ({ topic, qos, rh: 0, rap: false, nl: false });
const ids = async (lookup: Promise<unknown[]>): Promise<string[]> => ((await lookup) as Array<{ clientId: string }>).map((s) => s.clientId).sort();

describe('cached subscription lookups (in-memory persistence)', () => {
  it('hands out the same lookup for a topic until a persistent subscription changes', async () => {
    const p = await store();
    const first = p.subscriptionsByTopic('a/b');
    expect(p.subscriptionsByTopic('a/b')).toBe(first);
    expect(await ids(first)).toEqual([]);

    await p.addSubscriptions({ id: 'c1' }, [sub('a/+')]);
    expect(await ids(p.subscriptionsByTopic('a/b'))).toEqual(['c1']);
    await p.addSubscriptions({ id: 'c2' }, [sub('#')]);
    expect(await ids(p.subscriptionsByTopic('a/b'))).toEqual(['c1', 'c2']);

    await p.removeSubscriptions({ id: 'c2' }, ['#']);
    expect(await ids(p.subscriptionsByTopic('a/b'))).toEqual(['c1']);
  });

  it('forgets on the wipe of a client that had subscriptions, not on the clean connect of one that had none', async () => {
    const p = await store();
    await p.addSubscriptions({ id: 'c1' }, [sub('a/b')]);
    const before = p.subscriptionsByTopic('a/b');
    expect(await ids(before)).toEqual(['c1']);
    await p.cleanSubscriptions({ id: 'never-subscribed' });
    expect(p.subscriptionsByTopic('a/b')).toBe(before);
    await p.cleanSubscriptions({ id: 'c1' });
    expect(await ids(p.subscriptionsByTopic('a/b'))).toEqual([]);
  });

  it('sees a change made while a lookup of the same topic is cached (no stale answer after the change)', async () => {
    const p = await store();
    expect(await ids(p.subscriptionsByTopic('x'))).toEqual([]);
    const adding = p.addSubscriptions({ id: 'c1' }, [sub('x')]);
    // Asked before the change settled: the store changed synchronously, so this is fresh.
    expect(await ids(p.subscriptionsByTopic('x'))).toEqual(['c1']);
    await adding;
    expect(await ids(p.subscriptionsByTopic('x'))).toEqual(['c1']);
  });
});
