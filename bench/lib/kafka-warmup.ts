import { Kafka, logLevel } from 'kafkajs';

/** Kafka's own topic for the warm-up: never one FleetMQ or a measurement reads. */
const WARMUP_TOPIC = 'fleetmq.bench.warmup';
const RECORDS_PER_SEND = 500;
const SENDS_IN_FLIGHT = 4;

export interface KafkaWarmupResult {
  durationMs: number;
  produced: number;
  consumed: number;
  /** Records acknowledged per second in the first and in the last second: how far the JIT still was. */
  firstSecondPerSec: number;
  lastSecondPerSec: number;
}

/**
 * Drives produce (acks=all) and fetch on a bench topic for `durationMs` before anything is
 * measured. A Kafka that was just started runs its request path interpreted for tens of
 * seconds; without this the first FleetMQ scenario of a run measured the JVM's JIT warming up
 * (QoS 1 fan-in with the backend consumer: 43.7k–47.8k msg/s right after a Kafka start,
 * 56.4k–67.3k on a Kafka long running), which no peer pays.
 */
export async function warmKafka(brokers: string[], durationMs: number, progress: (text: string) => void): Promise<KafkaWarmupResult> {
  const kafka = new Kafka({ clientId: 'fleetmq-bench-warmup', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(WARMUP_TOPIC)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: WARMUP_TOPIC, numPartitions: 6, replicationFactor: 1 }] });
    }
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `fleetmq-bench-warmup-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 50, minBytes: 1 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: WARMUP_TOPIC, fromBeginning: false });
  let consumed = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
    },
  });
  const payload = Buffer.alloc(128, 0x61);
  const records = Array.from({ length: RECORDS_PER_SEND }, (_, i) => ({ key: String(i), value: payload }));
  const start = Date.now();
  const end = start + durationMs;
  let produced = 0;
  const perSecond: number[] = [];
  let lastTick = start;
  let atLastTick = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    const rate = Math.round(((produced - atLastTick) * 1000) / Math.max(1, now - lastTick));
    perSecond.push(rate);
    lastTick = now;
    atLastTick = produced;
    progress(`kafka warm-up: ${Math.round((now - start) / 1000)}/${Math.round(durationMs / 1000)} s, ${rate} records/s acknowledged`);
  }, 1000);
  try {
    await Promise.all(
      Array.from({ length: SENDS_IN_FLIGHT }, async () => {
        while (Date.now() < end) {
          await producer.send({ topic: WARMUP_TOPIC, acks: -1, messages: records });
          produced += RECORDS_PER_SEND;
        }
      }),
    );
  } finally {
    clearInterval(tick);
    await producer.disconnect();
    await consumer.disconnect();
  }
  return {
    durationMs: Date.now() - start,
    produced,
    consumed,
    firstSecondPerSec: perSecond[0] ?? 0,
    lastSecondPerSec: perSecond.at(-1) ?? 0,
  };
}
