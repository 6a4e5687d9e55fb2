import type { EachMessagePayload, Kafka } from 'kafkajs';
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
    const joinListeners: Array<(e: { payload: { memberAssignment: Record<string, number[]> } }) => void> = [];
    const runOptions: Array<Record<string, unknown>> = [];
    const commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
    let onCommit: (() => void) | undefined;
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
      on: (event: string, listener: (e: { payload: { memberAssignment: Record<string, number[]> } }) => void) => {
        if (event !== 'join') return () => {};
        joinListeners.push(listener);
        return () => joinListeners.splice(joinListeners.indexOf(listener), 1);
      },
      connect: async () => {},
      subscribe: async () => {},
      run: async (opts: Record<string, unknown>) => {
        runOptions.push(opts);
        // kafkajs makes the consumer group inside run(); after a crashed join it is gone until the restart.
        groupExists = !options.joinAfterRestart;
        const join = () => {
          groupExists = true;
          for (const listener of [...joinListeners]) listener({ payload: { memberAssignment: { t: [0, 1] } } });
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
        commits.push(offsets);
        onCommit?.();
      },
      disconnect: async () => {},
    };
    const kafka = { admin: () => admin, consumer: () => consumer } as unknown as Kafka;
    const nextCommit = () => new Promise<void>((resolve) => (onCommit = resolve));
    const rejoin = (partitions: number[]) => {
      for (const listener of [...joinListeners]) listener({ payload: { memberAssignment: { t: partitions } } });
    };
    return { kafka, seeks, runOptions, commits, nextCommit, rejoin, fetches: () => offsetFetches };
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

  it("leaves commits to kafkajs's auto-commit (after every batch) and handles one partition at a time unless told otherwise", async () => {
    const fake = fakeKafka([]);
    const gc = new GroupConsumer({ kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000 });
    await gc.start(async () => {});
    expect(fake.runOptions[0]).toMatchObject({ autoCommit: true, partitionsConsumedConcurrently: 1 });
    await gc.stop();
    expect(fake.commits).toEqual([]);
  });

  describe('with a commit interval (the downlink consumer: latency)', () => {
    const payload = (partition: number, offset: string) => ({ topic: 't', partition, message: { offset } }) as unknown as EachMessagePayload;
    type EachMessage = (p: EachMessagePayload) => Promise<void>;

    it('turns kafkajs auto-commit off, passes the partition concurrency and commits the handled offsets from a timer', async () => {
      const fake = fakeKafka([]);
      const gc = new GroupConsumer({
        kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000,
        commitIntervalMs: 20, partitionsConsumedConcurrently: 6,
      });
      await gc.start(async () => {});
      expect(fake.runOptions[0]).toMatchObject({ autoCommit: false, partitionsConsumedConcurrently: 6 });
      const eachMessage = fake.runOptions[0].eachMessage as EachMessage;
      await eachMessage(payload(0, '5'));
      await eachMessage(payload(0, '6'));
      await eachMessage(payload(1, '9'));
      expect(fake.commits).toEqual([]);
      await fake.nextCommit();
      // The next record to read: the last handled one plus one.
      expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '7' }, { topic: 't', partition: 1, offset: '10' }]]);
      await gc.stop();
    });

    it('does not commit a record whose handler threw, and commits what was handled at stop', async () => {
      const fake = fakeKafka([]);
      const gc = new GroupConsumer({
        kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000,
      });
      const failure = new Error('handler failed');
      await gc.start(async ({ message }) => {
        if (message.offset === '4') throw failure;
      });
      const eachMessage = fake.runOptions[0].eachMessage as EachMessage;
      await eachMessage(payload(0, '3'));
      await expect(eachMessage(payload(0, '4'))).rejects.toBe(failure);
      await gc.stop();
      expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '4' }]]);
    });

    it('drops the offsets of partitions a rebalance took away', async () => {
      const fake = fakeKafka([]);
      const gc = new GroupConsumer({
        kafka: fake.kafka, groupId: 'g', topic: 't', logger: createLogger('silent'), autoCommit: true, joinTimeoutMs: 1000, commitIntervalMs: 60_000,
      });
      await gc.start(async () => {});
      const eachMessage = fake.runOptions[0].eachMessage as EachMessage;
      await eachMessage(payload(0, '3'));
      await eachMessage(payload(1, '8'));
      fake.rejoin([1, 2]);
      await gc.stop();
      expect(fake.commits).toEqual([[{ topic: 't', partition: 1, offset: '9' }]]);
    });
  });
});
