import { jest } from '@jest/globals';
import { pino } from 'pino';
import { HeapCompactor, memoryReducingCollection } from './heap-compactor.js';

const logger = pino({ level: 'silent' });

function setup(afterConnects = 100) {
  let accepted = 0;
  let open = 0;
  let now = 1_000_000;
  const collect = jest.fn<() => Promise<void>>(async () => {});
  const compactor = new HeapCompactor({ afterConnects, quietConnectsPerTick: 5, quietTicks: 1, minIntervalMs: 30_000 }, { acceptedConnections: () => accepted, openConnections: () => open, collect, logger, clock: () => now });
  const tick = (newConnects: number, ms = 1000): boolean => {
    accepted += newConnects;
    now += ms;
    return compactor.tick();
  };
  const setOpen = (n: number): void => {
    open = n;
  };
  return { tick, collect, setOpen };
}

describe('HeapCompactor', () => {
  it('waits for enough connections, then for a quiet tick', () => {
    const { tick, collect } = setup();
    expect(tick(60)).toBe(false);
    expect(tick(0)).toBe(false); // quiet, but only 60 new connections
    expect(tick(60)).toBe(false); // 120 now, but the storm is still on
    expect(tick(6)).toBe(false); // 6 > quiet limit of 5
    expect(collect).not.toHaveBeenCalled();
    expect(tick(5)).toBe(true);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('counts again from the last compaction and keeps compactions apart', async () => {
    const { tick, collect } = setup();
    tick(150);
    expect(tick(0)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve)); // the collection finishes
    expect(tick(150)).toBe(false);
    expect(tick(0)).toBe(false); // 150 new, but only 2 s since the last one
    expect(tick(0, 28_000)).toBe(true); // 30 s later
    await new Promise((resolve) => setImmediate(resolve));
    expect(collect).toHaveBeenCalledTimes(2);
    expect(tick(0, 60_000)).toBe(false); // nothing new since
  });

  it('waits for several quiet ticks in a row when told to (a storm pauses for SYN retries)', () => {
    let accepted = 0;
    let now = 0;
    const collect = jest.fn<() => Promise<void>>(async () => {});
    const compactor = new HeapCompactor({ afterConnects: 100, quietConnectsPerTick: 5, quietTicks: 3, minIntervalMs: 0 }, { acceptedConnections: () => accepted, openConnections: () => 0, collect, logger, clock: () => now });
    const tick = (n: number): boolean => {
      accepted += n;
      now += 1000;
      return compactor.tick();
    };
    tick(500);
    expect([tick(0), tick(0)]).toEqual([false, false]);
    expect(tick(300)).toBe(false); // the retried SYNs arrive: the storm is not over
    expect([tick(0), tick(2)]).toEqual([false, false]);
    expect(tick(0)).toBe(true);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('asks a node with many open connections for a storm of half of them', () => {
    const { tick, collect, setOpen } = setup();
    setOpen(10_000);
    tick(1_000);
    expect(tick(0)).toBe(false); // steady churn on a big node: V8 collects as it goes
    tick(4_000);
    expect(tick(0)).toBe(true); // 5,000 new = half of the open connections
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does not start another while one runs', async () => {
    let finish: () => void = () => {};
    let accepted = 0;
    let now = 0;
    const collect = jest.fn<() => Promise<void>>(() => new Promise<void>((resolve) => (finish = resolve)));
    const compactor = new HeapCompactor({ afterConnects: 10, quietConnectsPerTick: 0, quietTicks: 1, minIntervalMs: 0 }, { acceptedConnections: () => accepted, openConnections: () => 0, collect, logger, clock: () => now });
    accepted = 20;
    now = 1;
    compactor.tick(); // the storm tick
    now = 2;
    expect(compactor.tick()).toBe(true);
    accepted = 40;
    compactor.tick();
    now = 3;
    expect(compactor.tick()).toBe(false);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    now = 4;
    expect(compactor.tick()).toBe(true);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('does not start when turned off', () => {
    const collect = jest.fn<() => Promise<void>>(async () => {});
    const compactor = new HeapCompactor({ afterConnects: 0 }, { acceptedConnections: () => 1e9, openConnections: () => 0, collect, logger });
    compactor.start();
    compactor.stop();
    expect(collect).not.toHaveBeenCalled();
  });
});

describe('memoryReducingCollection', () => {
  it('collects unreachable objects', async () => {
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ big: new Array(1000).fill('x') });
    })();
    // A WeakRef target stays alive until the job that created it ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await memoryReducingCollection();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ref!.deref()).toBeUndefined();
  });
});
