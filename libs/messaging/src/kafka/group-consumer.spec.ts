import type { Kafka } from 'kafkajs';
import { createLogger } from '#config';
import { GroupConsumer } from './group-consumer.js';

/**
 * Regression: a gateway started right after a fresh Kafka exited with "This is not the
 * correct coordinator for this group" from the start-offset lookup (found by the
 * reliability suite, test/reliability/kafka-kill.e2e-spec.ts). The lookup is retried now.
 */
describe('GroupConsumer start offsets', () => {
  /** `joinAfterRestart`: run() resolves before any group exists (kafkajs's join crashed and restarts later). */
  function fakeKafka(failures: unknown[], options: { joinAfterRestart?: boolean } = {}) {
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
    const consumer = {
      events: { CRASH: 'crash', GROUP_JOIN: 'join' },
      on: (event: string, listener: () => void) => {
        if (event === 'join') onJoin = listener;
        return () => {};
      },
      connect: async () => {},
      subscribe: async () => {},
      run: async (opts: Record<string, unknown>) => {
        runOptions.push(opts);
        // kafkajs makes the consumer group inside run(); after a crashed join it is gone until the restart.
        groupExists = !options.joinAfterRestart;
        const join = () => {
          groupExists = true;
          onJoin?.();
        };
        if (options.joinAfterRestart) setTimeout(join, 20);
        else setImmediate(join);
      },
      seek: (s: { partition: number; offset: string }) => {
        // kafkajs's consumer#seek without a consumer group (run() not called, or its join crashed).
        if (!groupExists) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        seeks.push(s);
      },
      disconnect: async () => {},
    };
    const kafka = { admin: () => admin, consumer: () => consumer } as unknown as Kafka;
    return { kafka, seeks, runOptions, fetches: () => offsetFetches };
  }

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

  it('commits every batch and handles one partition at a time unless told otherwise', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000 });
    await gc.start(async () => {});
    expect(fake.runOptions[0]).toMatchObject({ autoCommit: true, autoCommitInterval: null, partitionsConsumedConcurrently: 1 });
    await gc.stop();
  });

  it('passes a commit interval and partition concurrency to kafkajs (the downlink consumer: latency)', async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({
      kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000,
      autoCommitIntervalMs: 1000, partitionsConsumedConcurrently: 6,
    });
    await gc.start(async () => {});
    expect(fake.runOptions[0]).toMatchObject({ autoCommit: true, autoCommitInterval: 1000, partitionsConsumedConcurrently: 6 });
    await gc.stop();
  });
});
