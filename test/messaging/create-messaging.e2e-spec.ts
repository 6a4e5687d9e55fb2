import { pino } from 'pino';
import { createKafka, createMessaging, ensureTopics, INTERNAL_TOPICS, parseUplinkRecord, UPLINK_TOPIC, type Messaging } from '#messaging';
import { consumeRecords, describeWithKafka, endOffsets, kafkaBrokers, uniqueName } from '../helpers/kafka.js';

const logger = pino({ level: 'silent' });

describeWithKafka('createMessaging with Kafka', () => {
  let messaging: Messaging | undefined;
  afterAll(async () => messaging?.stop());

  it('ensureTopics is idempotent: existing topics are left alone', async () => {
    const admin = createKafka({ brokers: kafkaBrokers()!, clientId: 'e2e-topics', logger }).admin();
    await admin.connect();
    try {
      expect(await ensureTopics(admin, INTERNAL_TOPICS, 6, 1)).toEqual([]);
      const fresh = uniqueName('ensure');
      expect(await ensureTopics(admin, [fresh, UPLINK_TOPIC], 2, 1)).toEqual([fresh]);
      expect(await ensureTopics(admin, [fresh], 2, 1)).toEqual([]);
      const [meta] = (await admin.fetchTopicMetadata({ topics: [fresh] })).topics;
      expect(meta!.partitions).toHaveLength(2);
      await admin.deleteTopics({ topics: [fresh] });
    } finally {
      await admin.disconnect();
    }
  });

  it('wires the uplink to fleetmq.uplink', async () => {
    messaging = createMessaging(
      {
        role: 'gateway',
        nodeId: uniqueName('node'),
        kafkaBrokers: kafkaBrokers(),
        kafkaPartitions: 6,
        kafkaReplicationFactor: 1,
        kafkaCreateTopics: true,
        uplink: { thread: 'worker', lingerMs: 2, maxBatchRecords: 100, maxQueuedRecords: 1000, maxQueuedQos0: 1000 },
      },
      logger,
    );
    expect(messaging.kind).toBe('kafka');
    await messaging.start();
    const uplink = messaging.uplink();
    await uplink.start();
    const clientId = uniqueName('GID_m@@@dev');
    const startAt = await endOffsets(UPLINK_TOPIC);
    await new Promise<void>((resolve, reject) =>
      uplink.send({ instanceId: 'fmq-wire01', clientId, topic: 'telemetry/w', qos: 1, retain: false, payload: Buffer.from('hello') }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    // fleetmq.uplink is shared by every test of the run: read from before the send, pick this test's record.
    const [record] = await consumeRecords(UPLINK_TOPIC, 1, { startAt, filter: (r) => r.key?.toString() === `fmq-wire01/${clientId}` });
    const parsed = parseUplinkRecord(record!);
    expect(parsed.ok && parsed.value.payload.toString()).toBe('hello');
  });
});
