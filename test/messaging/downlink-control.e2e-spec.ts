import { pino } from 'pino';
import {
  createKafka,
  DlqPublisher,
  DownlinkConsumer,
  DownlinkPublisher,
  HEADERS,
  KafkaControlChannel,
  ManagedProducer,
  parsePresenceRecord,
  PresencePublisher,
  producerFactory,
  type ControlCommand,
  type DownlinkMessage,
  type PresenceEvent,
} from '#messaging';
import { consumeRecords, createTopic, deleteTopics, describeWithKafka, kafkaBrokers, testKafka, uniqueName } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });

describeWithKafka('downlink, control and presence over a real Kafka', () => {
  const kafka = createKafka({ brokers: kafkaBrokers() ?? [], clientId: 'e2e-downlink', logger });
  const topics: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await deleteTopics(topics);
  });

  it('every gateway node receives every downlink message in order; malformed records go to the DLQ', async () => {
    const [downlink, dlq] = [await createTopic('downlink'), await createTopic('dlq')];
    topics.push(downlink, dlq);
    const received: Record<string, DownlinkMessage[]> = { a: [], b: [] };
    const dlqProducer = new ManagedProducer(producerFactory(kafka));
    stops.push(() => dlqProducer.stop());
    for (const node of ['a', 'b']) {
      const consumer = new DownlinkConsumer({
        kafka,
        nodeId: node,
        logger,
        topic: downlink,
        groupId: uniqueName(`e2e-gw-${node}`),
        dlq: new DlqPublisher(dlqProducer, dlq),
      });
      stops.push(() => consumer.stop());
      await consumer.start((msg) => void received[node]!.push(msg));
    }
    const publisher = new DownlinkPublisher(new ManagedProducer(producerFactory(kafka)), downlink);
    stops.push(() => publisher.stop());
    await publisher.start();

    const target = 'GID_d@@@dev';
    const ids = await publisher.publishMany(
      Array.from({ length: 20 }, (_, i) => ({
        instanceId: 'fmq-dl0001',
        topic: `cmd/p2p/${target}`,
        qos: 1 as const,
        retain: false,
        payload: Buffer.from(String(i)),
        targetClientId: target,
      })),
    );
    // A backend's hand-made record without the instance header.
    const raw = testKafka().producer();
    await raw.connect();
    await raw.send({ topic: downlink, messages: [{ key: 'x', value: 'bad', headers: { [HEADERS.topic]: 'cmd/x' } }] });
    await raw.disconnect();

    await waitFor(() => received.a!.length === 20 && received.b!.length === 20, { what: 'downlink on both nodes' });
    for (const node of ['a', 'b']) {
      expect(received[node]!.map((m) => m.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(received[node]!.map((m) => m.msgId)).toEqual(ids);
      expect(received[node]![0]).toMatchObject({ instanceId: 'fmq-dl0001', targetClientId: target, qos: 1, retain: false });
    }
    const parked = await consumeRecords(dlq, 2); // one per node: each node's group parks it
    for (const r of parked) {
      expect(r.value!.toString()).toBe('bad');
      expect(r.headers![HEADERS.dlqReason]!.toString()).toBe('missing header fleetmq-instance');
      expect(r.headers![HEADERS.dlqSource]!.toString()).toMatch(new RegExp(`^${downlink}:\\d:\\d+$`));
      expect(r.headers![HEADERS.topic]!.toString()).toBe('cmd/x');
    }
  });

  it('control commands reach every process (own group each) and start from the latest', async () => {
    const control = await createTopic('control');
    topics.push(control);
    const shared = new ManagedProducer(producerFactory(kafka));
    stops.push(() => shared.stop());
    const early = new KafkaControlChannel({ kafka, producer: shared, role: 'gateway', nodeId: uniqueName('n'), logger, topic: control });
    await early.publish({ type: 'rules-changed', instanceId: 'fmq-old001' }); // before anyone listens: never delivered
    const got: Record<string, ControlCommand[]> = { gateway: [], router: [] };
    for (const role of ['gateway', 'router']) {
      const channel = new KafkaControlChannel({ kafka, producer: shared, role, nodeId: uniqueName('n'), logger, topic: control });
      stops.push(() => channel.stop());
      await channel.start((c) => void got[role]!.push(c));
    }
    await early.publish({ type: 'kick', instanceId: 'fmq-ctl001', clientId: 'GID_a@@@b', reason: 'test' });
    await waitFor(() => got.gateway!.length >= 1 && got.router!.length >= 1, { what: 'control command on both' });
    for (const role of ['gateway', 'router']) {
      expect(got[role]).toEqual([{ type: 'kick', instanceId: 'fmq-ctl001', clientId: 'GID_a@@@b', reason: 'test', ts: expect.any(Number) }]);
    }
  });

  it('presence events land keyed per client, in order', async () => {
    const presenceTopic = await createTopic('presence');
    topics.push(presenceTopic);
    const presence = new PresencePublisher({ createProducer: producerFactory(kafka), logger, topic: presenceTopic, lingerMs: 5 });
    await presence.start();
    const events: PresenceEvent[] = [1, 2, 3].map((epoch) => ({
      instanceId: 'fmq-pr0001',
      clientId: 'GID_p@@@d',
      event: epoch % 2 === 1 ? 'connect' : 'disconnect',
      reason: null,
      node: 'gw',
      remoteAddress: '127.0.0.1:1',
      ts: 1000 + epoch,
      epoch,
    }));
    for (const e of events) presence.publish(e);
    await presence.stop();
    const records = await consumeRecords(presenceTopic, 3);
    expect(records.map((r) => r.key!.toString())).toEqual(Array(3).fill('fmq-pr0001/GID_p@@@d'));
    expect(records.map((r) => parsePresenceRecord(r))).toEqual(events.map((value) => ({ ok: true, value })));
  });
});
