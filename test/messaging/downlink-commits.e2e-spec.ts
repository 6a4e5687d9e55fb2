import { pino } from 'pino';
import {
  createKafka,
  DlqPublisher,
  DownlinkConsumer,
  DownlinkPublisher,
  ManagedProducer,
  producerFactory,
  type DownlinkMessage,
} from '#messaging';
import { createTopic, deleteTopics, describeWithKafka, kafkaBrokers, testKafka, uniqueName } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const PARTITIONS = 6;

/**
 * The downlink consumer commits its offsets itself (libs/messaging/src/kafka/offset-committer.ts):
 * the start position at the join, the handled records once a second, and at stop. What its docs
 * promise (docs/DESIGN.md, "Kafka → device"), against a real Kafka.
 */
describeWithKafka('downlink offsets committed beside the fetches', () => {
  const kafka = createKafka({ brokers: kafkaBrokers() ?? [], clientId: 'e2e-downlink-commits', logger });
  const admin = testKafka().admin();
  const topics: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  let dlqProducer: ManagedProducer;
  let publisher: DownlinkPublisher;
  let downlink: string;
  let dlq: string;

  beforeAll(async () => {
    await admin.connect();
    [downlink, dlq] = [await createTopic('downlink', PARTITIONS), await createTopic('dlq', 1)];
    topics.push(downlink, dlq);
    dlqProducer = new ManagedProducer(producerFactory(kafka));
    publisher = new DownlinkPublisher(new ManagedProducer(producerFactory(kafka)), downlink);
    await publisher.start();
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await publisher.stop();
    await dlqProducer.stop();
    await deleteTopics(topics);
    await admin.disconnect();
  });

  function consumer(groupId: string): DownlinkConsumer {
    const c = new DownlinkConsumer({ kafka, nodeId: 'n', logger, topic: downlink, groupId, dlq: new DlqPublisher(dlqProducer, dlq), partitions: PARTITIONS });
    stops.push(() => c.stop());
    return c;
  }

  /** The group's committed offset per partition (-1: none). */
  async function committed(groupId: string): Promise<number[]> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [downlink] });
    return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  }

  async function ends(): Promise<number[]> {
    return (await admin.fetchTopicOffsets(downlink)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  }

  function publish(count: number, tag: string): Promise<string[]> {
    return publisher.publishMany(
      Array.from({ length: count }, (_, i) => {
        const target = `GID_c@@@${tag}${i % 12}`;
        return { instanceId: 'fmq-dc0001', topic: `cmd/p2p/${target}`, qos: 1 as const, retain: false, payload: Buffer.from(`${tag}${i}`), targetClientId: target };
      }),
    );
  }

  it('commits the start position at the join, then every handled record within the interval, and what it handled at stop', async () => {
    await publish(24, 'before');
    const groupId = uniqueName('e2e-commits');
    const c = consumer(groupId);
    const got: DownlinkMessage[] = [];
    await c.start(async (m) => void got.push(m));
    // Before any record: the start position of every partition is the group's.
    const atStart = await ends();
    await waitFor(async () => (await committed(groupId)).join() === atStart.join(), { what: 'start positions committed', timeoutMs: 10_000 });

    await publish(60, 'live');
    await waitFor(() => got.length === 60, { what: 'the live records handled' });
    const afterLive = await ends();
    await waitFor(async () => (await committed(groupId)).join() === afterLive.join(), { what: 'handled offsets committed within the interval', timeoutMs: 5_000 });
    expect(got.map((m) => m.payload.toString()).every((p) => p.startsWith('live'))).toBe(true);

    // A record handled right before stop is committed by stop itself.
    await publish(6, 'last');
    await waitFor(() => got.length === 66, { what: 'the last records handled' });
    await c.stop();
    expect((await committed(groupId)).join()).toBe((await ends()).join());
  });

  it('a member that handled nothing leaves the group at its start, so the next one reads what came in between', async () => {
    const groupId = uniqueName('e2e-commits-early');
    const first = consumer(groupId);
    await first.start(async () => undefined);
    const atStart = await ends();
    await waitFor(async () => (await committed(groupId)).join() === atStart.join(), { what: 'start positions committed', timeoutMs: 10_000 });
    await first.stop();

    // Produced while no member runs: kafkajs alone would have left no position, and the next
    // member would start at its own "latest", after these.
    const between = await publish(18, 'between');
    const next = consumer(groupId);
    const got: DownlinkMessage[] = [];
    await next.start(async (m) => void got.push(m));
    await waitFor(() => got.length === 18, { what: 'records produced between the two members' });
    expect(got.map((m) => m.msgId).sort()).toEqual([...between].sort());
  });
});
