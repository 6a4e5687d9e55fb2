import { pino } from 'pino';
import { createKafka, producerFactory, UplinkProducer } from '#messaging';
import { consumeRecords, createTopic, describeWithKafka, PrivateKafka, testKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CLIENTS = ['GID_f@@@a', 'GID_f@@@b', 'GID_f@@@c'];

// RELIABILITY.md §4.3: with Kafka gone, acknowledgements stop (none is given for a record Kafka
// does not hold) and resume after it is back; every acknowledged record is in the topic and each
// client's records keep their order. Runs on a private broker so it can be SIGKILLed.
/** How long the broker stays dead while records keep coming. */
const OUTAGE_MS = 2_000;

describeWithKafka('uplink while Kafka is killed and restarted', () => {
  const broker = new PrivateKafka();
  afterAll(async () => broker.destroy(), 60_000);

  it('acknowledges nothing while Kafka is down, everything after, and loses no acknowledged record', async () => {
    const brokers = await broker.start();
    const topic = await createTopic('uplink-fault', 3, testKafka(brokers));
    const producer = new UplinkProducer({
      createProducer: producerFactory(createKafka({ brokers, clientId: 'e2e-fault', logger })),
      logger,
      nodeId: 'e2e-fault',
      topic,
      lingerMs: 2,
      maxBatchRecords: 200,
      maxQueuedRecords: 100_000,
      maxQueuedQos0: 1_000,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    await producer.start();

    const ackedAt = new Map<number, number>();
    const errors: Error[] = [];
    let seq = 0;
    const send = (): void => {
      const n = seq++;
      producer.send(
        { instanceId: 'fmq-fault01', clientId: CLIENTS[n % CLIENTS.length]!, topic: 'telemetry/f', qos: 1, retain: false, payload: Buffer.from(String(n)) },
        (err) => (err ? errors.push(err) : ackedAt.set(n, Date.now())),
      );
    };
    const pump = setInterval(() => {
      for (let i = 0; i < 3; i++) send();
    }, 2);

    try {
      await waitFor(() => ackedAt.size >= 300, { timeoutMs: 20_000, what: '300 acknowledgements before the fault' });
      await broker.stop(true);
      // A response the broker wrote just before it died may still be read a moment later: legit.
      const downFrom = Date.now() + 100;
      await sleep(OUTAGE_MS); // keep publishing into a dead Kafka
      const sentWhileDown = seq;
      const restartFrom = Date.now();
      const acksWhileDown = [...ackedAt.values()].filter((t) => t >= downFrom && t < restartFrom).length;
      expect(acksWhileDown).toBe(0);
      expect(producer.isUnavailable()).toBe(true);

      await broker.start();
      await waitFor(() => [...ackedAt.keys()].some((n) => n >= sentWhileDown), { timeoutMs: 30_000, what: 'acknowledgements after restart' });
    } finally {
      clearInterval(pump);
    }
    await producer.stop(30_000);

    expect(errors).toEqual([]);
    expect(ackedAt.size).toBe(seq);
    expect(producer.uplinkCounters.failedAttempts).toBeGreaterThan(0);

    // Everything acknowledged is in the topic (duplicates allowed), in per-client order.
    const admin = testKafka(brokers).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    expect(total).toBeGreaterThanOrEqual(seq);
    const records = await consumeRecords(topic, total, { kafka: testKafka(brokers), timeoutMs: 30_000 });
    const present = new Set(records.map((r) => Number(r.value!.toString())));
    const missing = [...ackedAt.keys()].filter((n) => !present.has(n));
    expect(missing).toEqual([]);
    for (const client of CLIENTS) {
      const firstSeen: number[] = [];
      const seen = new Set<number>();
      for (const r of records) {
        if (r.key!.toString() !== `fmq-fault01/${client}`) continue;
        const n = Number(r.value!.toString());
        if (!seen.has(n)) firstSeen.push(n);
        seen.add(n);
      }
      expect(firstSeen).toEqual([...firstSeen].sort((a, b) => a - b));
    }
  }, 120_000);
});
