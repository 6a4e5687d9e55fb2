import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka } from 'kafkajs';
import type { Logger } from '#config';

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /** false: never commit, so every start begins at the latest record (control commands). */
  autoCommit: boolean;
  /** How long start() waits for the group join. */
  joinTimeoutMs?: number;
  config?: Partial<ConsumerConfig>;
}

/**
 * A kafkajs consumer group on one topic, starting at the latest record when the group has no
 * committed offset. start() resolves once the group is joined, so records produced after it are
 * seen. With auto-commit the offset of a record is committed after its handler returned.
 */
export class GroupConsumer {
  private consumer: Consumer | undefined;

  constructor(private readonly opts: GroupConsumerOptions) {}

  async start(eachMessage: (payload: EachMessagePayload) => Promise<void>): Promise<void> {
    const { kafka, groupId, topic, logger } = this.opts;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      ...this.opts.config,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      logger.error({ groupId, topic, err: e.payload.error, restart: e.payload.restart }, 'kafka consumer crashed');
    });
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ autoCommit: this.opts.autoCommit, eachMessage });
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.joinTimeoutMs ?? 30_000;
    await Promise.race([
      joined,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ groupId, topic, timeoutMs }, 'consumer group not joined yet; continuing');
          resolve();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }
}
