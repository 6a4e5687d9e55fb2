import type { EachMessagePayload, Kafka } from 'kafkajs';
import { createLogger } from '#config';
import { GroupConsumer } from './group-consumer.js';

/**
 * Regression: a gateway started right after a fresh Kafka exited with "This is not the
 * correct coordinator for this group" from the start-offset lookup (found by the
 * reliability suite, test/reliability/kafka-kill.e2e-spec.ts). The lookup is retried now.
 */
/** `joinAfterRestart`: run() resolves before any group exists (kafkajs's join crashed and restarts later). */
function fakeKafka(failures: unknown[], options: { joinAfterRestart?: boolean; commitsHang?: boolean } = {}) {
  let groupExists = false;
  let offsetFetches = 0;
  const seeks: Array<{ partition: number; offset: string }> = [];
  let onJoin: (() => void) | undefined;
  const runOptions: Array<Record<string, unknown>> = [];
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchTopicOffsets: async () => [{ partition: 0, offset: '7', high: '7', low: '0' }],
    fetchOffsets: async () => {
      const failure = failures[offsetFetches++];
      if (failure !== undefined) throw failure;
      return [{ topic: 't', partitions: [{ partition: 0, offset: '-1' }] }];
    },
  };
  const listeners = new Map<string, Array<(e: unknown) => void>>();
  const commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  const paused: string[] = [];
  const calls: string[] = [];
  let eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  const consumer = {
    events: { CRASH: 'crash', GROUP_JOIN: 'join', REBALANCING: 'rebalancing' },
    on: (event: string, listener: (e: unknown) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async (opts: Record<string, unknown>) => {
      runOptions.push(opts);
      eachMessage = opts.eachMessage as typeof eachMessage;
      // kafkajs makes the consumer group inside run(); after a crashed join it is gone until the restart.
      groupExists = !options.joinAfterRestart;
      const join = () => {
        groupExists = true;
        for (const l of listeners.get('join') ?? []) l({ payload: { memberAssignment: { t: [0] } } });
      };
      if (options.joinAfterRestart) setTimeout(join, 20);
      else setImmediate(join);
    },
    seek: (s: { partition: number; offset: string }) => {
      // kafkajs's consumer#seek without a consumer group (run() not called, or its join crashed).
      if (!groupExists) throw new Error('Consumer group was not initialized, consumer#run must be called first');
      seeks.push(s);
    },
    commitOffsets: async (offsets: Array<{ topic: string; partition: number; offset: string }>) => {
      calls.push('commit');
      commits.push(offsets);
    },
    pause: (topics: Array<{ topic: string }>) => {
      calls.push('pause');
      paused.push(...topics.map((t) => t.topic));
    },
    disconnect: async () => {
      calls.push('disconnect');
    },
  };
  const kafka = { admin: () => admin, consumer: () => consumer } as unknown as Kafka;
  const deliver = (offset: string) => eachMessage!({ topic: 't', partition: 0, message: { offset } } as unknown as EachMessagePayload);
  const emit = (event: string) => {
    for (const l of listeners.get(event) ?? []) l({});
  };
  return { kafka, seeks, runOptions, commits, paused, calls, deliver, emit, fetches: () => offsetFetches };
}

describe('GroupConsumer start offsets', () => {
  const notCoordinator = () => Object.assign(new Error('This is not the correct coordinator for this group'), { retriable: true, type: 'NOT_COORDINATOR' });

  it('retries a retriable coordinator error and still pins the end offsets', async () => {
    const fake = fakeKafka([notCoordinator(), notCoordinator()]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000 });
    await gc.start(async () => {});
    expect(fake.fetches()).toBe(3);
    expect(fake.seeks).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    await gc.stop();
  });

  it('pins the end offsets once the group exists when run() resolved before the join (coordinator loading)', async () => {
    const fake = fakeKafka([], { joinAfterRestart: true });
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 5000 });
    await gc.start(async () => {});
    expect(fake.seeks).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    await gc.stop();
  });

  it('does not retry an error marked non-retriable', async () => {
    const fatal = Object.assign(new Error('not authorized'), { retriable: false });
    const fake = fakeKafka([fatal]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000 });
    await expect(gc.start(async () => {})).rejects.toBe(fatal);
    expect(fake.fetches()).toBe(1);
  });

  it("leaves kafkajs's auto-commit off and handles one partition at a time unless told otherwise", async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000 });
    await gc.start(async () => {});
    expect(fake.runOptions[0]).toMatchObject({ autoCommit: false, partitionsConsumedConcurrently: 1 });
    await gc.stop();
  });

  it('passes partition concurrency to kafkajs (the downlink consumer: latency)', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({
      kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000,
      commitIntervalMs: 1000, partitionsConsumedConcurrently: 6,
    });
    await gc.start(async () => {});
    expect(fake.runOptions[0]).toMatchObject({ autoCommit: false, partitionsConsumedConcurrently: 6 });
    await gc.stop();
  });
});

describe('GroupConsumer commits', () => {
  it('commits the pinned start position right after the join, before any record', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000 });
    await gc.start(async () => {});
    await waitUntil(() => fake.commits.length > 0);
    expect(fake.commits[0]).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
    await gc.stop();
  });

  it('commits the next offset after a handled record on its interval, not per record', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 30 });
    await gc.start(async () => {});
    await waitUntil(() => fake.commits.length === 1);
    await fake.deliver('7');
    await fake.deliver('8');
    await waitUntil(() => fake.commits.length === 2);
    expect(fake.commits[1]).toEqual([{ topic: 't', partition: 0, offset: '9' }]);
    await gc.stop();
  });

  it('does not commit a record whose handler threw', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000 });
    await gc.start(async (p) => {
      if (p.message.offset === '8') throw new Error('DLQ unreachable');
    });
    await waitUntil(() => fake.commits.length === 1);
    await fake.deliver('7');
    await expect(fake.deliver('8')).rejects.toThrow('DLQ unreachable');
    fake.emit('rebalancing');
    await waitUntil(() => fake.commits.length === 2);
    expect(fake.commits[1]).toEqual([{ topic: 't', partition: 0, offset: '8' }]);
    await gc.stop();
  });

  it('on stop, pauses, waits for the running handler, commits it, then leaves', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000 });
    let finish: () => void = () => undefined;
    await gc.start(() => new Promise<void>((resolve) => (finish = resolve)));
    await waitUntil(() => fake.commits.length === 1);
    const handled = fake.deliver('7');
    const stopped = gc.stop();
    await waitUntil(() => fake.calls.includes('pause'));
    expect(fake.calls).not.toContain('disconnect');
    finish();
    await handled;
    await stopped;
    expect(fake.calls.slice(-3)).toEqual(['pause', 'commit', 'disconnect']);
    expect(fake.commits.at(-1)).toEqual([{ topic: 't', partition: 0, offset: '8' }]);
  });

  it('leaves the group when its last commit does not answer in time (Kafka gone): those records are read again', async () => {
    const fake = fakeKafka([], { commitsHang: true });
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000, stopWaitMs: 50 });
    await gc.start(async () => {});
    await waitUntil(() => fake.commits.length === 1);
    await fake.deliver('7');
    await gc.stop();
    expect(fake.calls.slice(-3)).toEqual(['pause', 'commit', 'disconnect']);
  });

  it('never commits without auto-commit (control commands)', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: false, joinTimeoutMs: 1000, commitIntervalMs: 10 });
    await gc.start(async () => {});
    await fake.deliver('7');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await gc.stop();
    expect(fake.commits).toEqual([]);
    expect(fake.calls).toEqual(['disconnect']);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
