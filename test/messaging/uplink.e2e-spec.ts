import { pino } from 'pino';
import {
  createKafka,
  HEADERS,
  INTERNAL_TOPICS,
  parseUplinkRecord,
  producerFactory,
  UplinkProducer,
  type UplinkMessage,
} from '#messaging';
import { consumeRecords, createTopic, deleteTopics, describeWithKafka, kafkaBrokers, testKafka } from '../helpers/kafka.js';

const logger = pino({ level: 'silent' });

function producerFor(topic: string, overrides: Partial<ConstructorParameters<typeof UplinkProducer>[0]> = {}): UplinkProducer {
  const kafka = createKafka({ brokers: kafkaBrokers()!, clientId: 'e2e-uplink', logger });
  return new UplinkProducer({
    createProducer: producerFactory(kafka),
    logger,
    nodeId: 'e2e-node',
    topic,
    lingerMs: 2,
    maxBatchRecords: 500,
    maxQueuedRecords: 10_000,
    maxQueuedQos0: 10_000,
    ...overrides,
  });
}

function sendAll(producer: UplinkProducer, msgs: UplinkMessage[]): Promise<void[]> {
  return Promise.all(msgs.map((m) => new Promise<void>((resolve, reject) => producer.send(m, (err) => (err ? reject(err) : resolve())))));
}

describeWithKafka('uplink over a real Kafka', () => {
  const topics: string[] = [];
  afterAll(async () => deleteTopics(topics));

  it('has the internal topics with several partitions (created by global setup)', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...INTERNAL_TOPICS] });
      expect(meta.map((t) => t.name).sort()).toEqual([...INTERNAL_TOPICS].sort());
      for (const t of meta) expect(t.partitions.length).toBeGreaterThanOrEqual(6);
    } finally {
      await admin.disconnect();
    }
  });

  it('writes records with the documented key, headers and the payload bytes unchanged', async () => {
    const topic = await createTopic('uplink-shape');
    topics.push(topic);
    const producer = producerFor(topic);
    await producer.start();
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const msgs: UplinkMessage[] = [
      { instanceId: 'fmq-e2e001', clientId: 'GID_a@@@dev1', topic: 'telemetry/dev1', qos: 1, retain: false, payload: binary, ts: 1_700_000_000_123 },
      { instanceId: 'fmq-e2e001', clientId: 'GID_a@@@dev2', topic: 'telemetry/dev2/x', qos: 0, retain: true, payload: Buffer.alloc(0) },
    ];
    const before = Date.now();
    await sendAll(producer, msgs);
    await producer.stop();
    const records = await consumeRecords(topic, 2);
    const byKey = new Map(records.map((r) => [r.key!.toString(), r]));

    const first = byKey.get('fmq-e2e001/GID_a@@@dev1')!;
    expect(first.value).toEqual(binary);
    expect(Object.fromEntries(Object.entries(first.headers!).map(([k, v]) => [k, String(v)]))).toEqual({
      [HEADERS.instance]: 'fmq-e2e001',
      [HEADERS.client]: 'GID_a@@@dev1',
      [HEADERS.topic]: 'telemetry/dev1',
      [HEADERS.qos]: '1',
      [HEADERS.retain]: 'false',
      [HEADERS.msgId]: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      [HEADERS.ts]: '1700000000123',
      [HEADERS.node]: 'e2e-node',
    });

    const second = parseUplinkRecord(byKey.get('fmq-e2e001/GID_a@@@dev2')!);
    if (!second.ok) throw second.error;
    expect(second.value).toMatchObject({ clientId: 'GID_a@@@dev2', topic: 'telemetry/dev2/x', qos: 0, retain: true, nodeId: 'e2e-node' });
    expect(second.value.payload.length).toBe(0);
    expect(second.value.ts).toBeGreaterThanOrEqual(before);
    expect(producer.uplinkCounters).toMatchObject({ produced: 2, queued: 0, inFlight: 0 });
  });

  it('keeps the order of 1,000 records of one client (one partition, publish order)', async () => {
    const topic = await createTopic('uplink-order');
    topics.push(topic);
    // Small batches so the order has to hold across many produce requests.
    const producer = producerFor(topic, { maxBatchRecords: 37 });
    await producer.start();
    const n = 1000;
    const msgs = Array.from({ length: n }, (_, i): UplinkMessage => ({
      instanceId: 'fmq-e2e002',
      clientId: 'GID_o@@@one',
      topic: 'telemetry/seq',
      qos: 1,
      retain: false,
      payload: Buffer.from(String(i)),
    }));
    await sendAll(producer, msgs);
    await producer.stop();
    expect(producer.uplinkCounters.batches).toBeGreaterThanOrEqual(Math.ceil(n / 37));
    const records = await consumeRecords(topic, n);
    expect(new Set(records.map((r) => r.partition)).size).toBe(1);
    expect(records.map((r) => Number(r.value!.toString()))).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
