import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import {
  InstanceEntity,
  openDataSource,
  RuleEntity,
  TypeOrmRuleRepository,
} from '#domain/persistence';
import {
  buildPresenceRecord,
  buildUplinkRecord,
  createKafka,
  DLQ_TOPIC,
  DOWNLINK_TOPIC,
  ensureTopics,
  HEADERS,
  KafkaMessaging,
  INTERNAL_TOPICS,
  PRESENCE_TOPIC,
  UPLINK_TOPIC,
  type UplinkMessage,
} from '#messaging';
import { RuleRouter, type RuleRouterOptions } from '../../apps/rule-router/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { Collector, header, routerFixture, unique } from './kafka-kit.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor, quietWindow } from '../helpers/wait.js';

const logger = createLogger('silent');

describeWithKafka('rule router (real Kafka and PostgreSQL)', () => {
  const schema = uniqueSchema('rrouter');
  const instanceId = `fmq-${Date.now().toString(36).slice(-6)}${Math.floor(Math.random() * 1e4)}`;
  const tag = unique('rr');
  const topic = (name: string): string => `${tag}.${name}`;
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let router: RuleRouter;
  let messaging: KafkaMessaging;
  let publisherMessaging: KafkaMessaging;
  const collectors: Collector[] = [];
  const rules: Record<string, string> = {};

  const addRule = async (name: string, kind: 'outflow' | 'inflow' | 'status', source: object, target: object, enabled = true): Promise<string> => {
    const repo = ds.getRepository(RuleEntity);
    const row = await repo.save(repo.create({ instanceId, name, kind, source: { ...source }, target: { ...target }, enabled }));
    rules[name] = row.id;
    return row.id;
  };
  /** As the console does: change the row, then announce it on fleetmq.control. */
  const setEnabled = async (name: string, enabled: boolean): Promise<void> => {
    await ds.getRepository(RuleEntity).update({ id: rules[name]! }, { enabled });
    await publisherMessaging.control().publish({ type: 'rules-changed', instanceId, ruleId: rules[name]! });
  };
  const collect = async (t: string, fromLatest = false, filter?: (m: KafkaMessage) => boolean): Promise<Collector> => {
    const c = await new Collector(kafka, t, filter).start(fromLatest);
    collectors.push(c);
    return c;
  };
  const mine = (m: KafkaMessage): boolean => header(m, HEADERS.instance) === instanceId;
  const uplink = (msgs: Array<Partial<UplinkMessage> & { topic: string }>) =>
    producer.send({
      topic: UPLINK_TOPIC,
      acks: -1,
      messages: msgs.map((m) =>
        buildUplinkRecord({ instanceId, clientId: 'GID_a@@@d1', qos: 1, retain: false, payload: Buffer.from('x'), ...m }, 'test-node'),
      ),
    });

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 4 });
    await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'rule router e2e' });
    kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'rule-router-e2e', logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [...INTERNAL_TOPICS], 6, 1);
    await ensureTopics(admin, ['raw', 'json', 'st-all', 'st-cars', 'cmd-p2p', 'cmd-all'].map(topic), 3, 1);
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();

    await addRule('raw', 'outflow', { topicFilter: 'telemetry/#' }, { kafkaTopic: topic('raw') });
    await addRule('json', 'outflow', { topicFilter: 'telemetry/+/temp' }, { kafkaTopic: topic('json'), keyStrategy: 'none', format: 'json', payloadEncoding: 'utf8' });
    await addRule('created', 'outflow', { topicFilter: 'new/#' }, { kafkaTopic: topic('created-by-router') });
    await addRule('st-all', 'status', {}, { kafkaTopic: topic('st-all') });
    await addRule('st-cars', 'status', { groupId: 'GID_cars' }, { kafkaTopic: topic('st-cars'), keyStrategy: 'none' });
    await addRule('p2p', 'inflow', { kafkaTopic: topic('cmd-p2p') }, { topicTemplate: 'cmd/p2p/${key}', qos: 1 });
    await addRule('all', 'inflow', { kafkaTopic: topic('cmd-all') }, { topicTemplate: 'cmd/${header.zone}/all', qos: 0, retain: true });

    const options: Partial<RuleRouterOptions> & Pick<RuleRouterOptions, 'routerId'> = {
      routerId: 'router-a',
      outflowGroupId: `${tag}-out`,
      statusGroupId: `${tag}-status`,
      inflowGroupPrefix: `${tag}-in-`,
      partitions: 2,
      // Long poll: changes in these tests must arrive through the control topic.
      rulesPollMs: 30_000,
      countersFlushMs: 300,
      tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 6 },
    };
    await admin.disconnect();
    ({ router, messaging, console: publisherMessaging } = await routerFixture(kafka, ds, options as Parameters<typeof routerFixture>[2], tag));
    await router.start();
    await waitFor(() => router.outflowConsumer.joins > 0 && router.statusConsumer.joins > 0, { timeoutMs: 20_000, what: 'router groups joined' });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(collectors.map((c) => c.stop().catch(() => undefined)));
    await router?.stop();
    await messaging?.stop();
    await publisherMessaging?.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await dropSchema(schema);
  }, 30_000);

  it('routes an uplink record raw (uplink headers, key = client ID) and as a JSON envelope; one record to two rules', async () => {
    const raw = await collect(topic('raw'));
    const json = await collect(topic('json'));
    await uplink([
      { topic: 'telemetry/d1/temp', payload: Buffer.from('{"t":21.5}'), msgId: `${tag}-m1`, ts: 1_764_072_000_000 },
      { topic: 'telemetry/d1', clientId: 'GID_a@@@d2', payload: Buffer.from([0, 1, 255]), msgId: `${tag}-m2` },
      { topic: 'other/d1', msgId: `${tag}-m3` },
    ]);
    const routed = await raw.waitForCount(2);
    const [envelope] = await json.waitForCount(1);
    // Different clients land in different partitions: no order between them.
    const first = routed.find((m) => header(m, HEADERS.msgId) === `${tag}-m1`);
    const second = routed.find((m) => header(m, HEADERS.msgId) === `${tag}-m2`);
    expect(first!.key?.toString()).toBe('GID_a@@@d1');
    expect(first!.value?.toString()).toBe('{"t":21.5}');
    expect(header(first!, HEADERS.msgId)).toBe(`${tag}-m1`);
    expect(header(first!, HEADERS.topic)).toBe('telemetry/d1/temp');
    expect(header(first!, HEADERS.instance)).toBe(instanceId);
    expect(second!.key?.toString()).toBe('GID_a@@@d2');
    expect([...second!.value!]).toEqual([0, 1, 255]);
    expect(envelope!.key).toBeNull();
    expect(JSON.parse(envelope!.value!.toString())).toEqual({
      instanceId,
      clientId: 'GID_a@@@d1',
      topic: 'telemetry/d1/temp',
      qos: 1,
      payload: '{"t":21.5}',
      encoding: 'utf8',
      ts: 1_764_072_000_000,
      msgId: `${tag}-m1`,
    });
    await quietWindow(300, 'more records than the rules route');
    expect(raw.messages).toHaveLength(2);
    expect(json.messages).toHaveLength(1);
    expect(router.counters.get(rules.raw!)).toEqual({ matched: 2, routed: 2, failed: 0 });
    const totals = () => new TypeOrmRuleRepository(ds).totals(rules.raw!);
    await waitFor(async () => (await totals()).routed === 2, { timeoutMs: 5_000, what: 'counters flushed' });
  });

  it('creates a missing target topic', async () => {
    await uplink([{ topic: 'new/x', msgId: `${tag}-c1` }]);
    await waitFor(() => router.counters.get(rules.created!).routed === 1, { timeoutMs: 15_000, what: 'routed to a new topic' });
    const c = await collect(topic('created-by-router'));
    const [m] = await c.waitForCount(1);
    expect(header(m!, HEADERS.msgId)).toBe(`${tag}-c1`);
  });

  it('creates the target topic of a new rule at once, before any device message', async () => {
    const target = topic('created-on-rule');
    await addRule('created-on-rule', 'outflow', { topicFilter: 'early/#' }, { kafkaTopic: target });
    await publisherMessaging.control().publish({ type: 'rules-changed', instanceId, ruleId: rules['created-on-rule']! });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(async () => (await admin.listTopics()).includes(target), { timeoutMs: 10_000, what: 'target topic created on rule load' });
    } finally {
      await admin.disconnect();
    }
    expect(router.counters.get(rules['created-on-rule']!).routed).toBe(0);
  });

  it('sends inflow records to fleetmq.downlink: P2P by key, broadcast by template; unrenderable ones to the DLQ', async () => {
    const down = await collect(DOWNLINK_TOPIC, true, mine);
    const dlq = await collect(DLQ_TOPIC, true, (m) => header(m, 'fleetmq-dlq-rule') === rules.p2p);
    await producer.send({
      topic: topic('cmd-p2p'),
      messages: [
        { key: 'GID_a@@@d1', value: 'reboot' },
        { key: null, value: 'no key' },
        { key: 'bad/key', value: 'bad key' },
        { key: 'GID_a@@@d1', value: 'again' },
      ],
    });
    await producer.send({ topic: topic('cmd-all'), messages: [{ key: null, value: 'hello all', headers: { zone: 'north' } }, { key: null, value: 'no zone' }] });
    const received = await down.waitForCount(3);
    const p2p = received.filter((m) => header(m, HEADERS.target) !== undefined);
    expect(p2p.map((m) => m.value?.toString())).toEqual(['reboot', 'again']);
    expect(p2p[0]!.key?.toString()).toBe('GID_a@@@d1');
    expect(header(p2p[0]!, HEADERS.topic)).toBe('cmd/p2p/GID_a@@@d1');
    expect(header(p2p[0]!, HEADERS.target)).toBe('GID_a@@@d1');
    expect(header(p2p[0]!, HEADERS.qos)).toBe('1');
    expect(header(p2p[0]!, HEADERS.retain)).toBe('false');
    expect(header(p2p[0]!, HEADERS.msgId)).toBeTruthy();
    const broadcast = received.find((m) => header(m, HEADERS.target) === undefined)!;
    expect(broadcast.key?.toString()).toBe('cmd/north/all');
    expect(broadcast.value?.toString()).toBe('hello all');
    expect(header(broadcast, HEADERS.topic)).toBe('cmd/north/all');
    expect(header(broadcast, HEADERS.qos)).toBe('0');
    expect(header(broadcast, HEADERS.retain)).toBe('true');

    const dead = await dlq.waitForCount(2);
    expect(dead.map((m) => [header(m, HEADERS.dlqReason), m.value?.toString()]).sort()).toEqual([
      ['invalid-value', 'bad key'],
      ['missing-key', 'no key'],
    ]);
    expect(header(dead[0]!, HEADERS.dlqSource)).toMatch(new RegExp(`^${topic('cmd-p2p').replace(/\./g, '\\.')}:\\d+:\\d+$`));
    await waitFor(() => router.counters.get(rules.all!).failed === 1, { timeoutMs: 5_000, what: 'missing header counted' });
    expect(router.counters.get(rules.p2p!)).toEqual({ matched: 4, routed: 2, failed: 2 });
  });

  it('routes presence events to status rules, with the group filter', async () => {
    const all = await collect(topic('st-all'));
    const cars = await collect(topic('st-cars'));
    const event = (clientId: string, epoch: number) =>
      buildPresenceRecord({ instanceId, clientId, event: 'connect', reason: null, node: 'n1', remoteAddress: '10.0.0.1', ts: Date.now(), epoch });
    await producer.send({ topic: PRESENCE_TOPIC, messages: [event('GID_cars@@@c1', 1), event('GID_bikes@@@b1', 1), event('GID_cars@@@c1', 2)] });
    const everything = await all.waitForCount(3);
    // Order holds per client (one key, one partition), not across clients.
    expect(everything.map((m) => m.key?.toString()).sort()).toEqual(['GID_bikes@@@b1', 'GID_cars@@@c1', 'GID_cars@@@c1']);
    const carEpochs = everything.filter((m) => m.key?.toString() === 'GID_cars@@@c1').map((m) => JSON.parse(m.value!.toString()).epoch);
    expect(carEpochs).toEqual([1, 2]);
    const onlyCars = await cars.waitForCount(2);
    // keyStrategy none: no key, so no partition affinity and no order; compare as a set.
    const carsSeen = onlyCars.map((m) => [m.key, JSON.parse(m.value!.toString()).clientId, JSON.parse(m.value!.toString()).epoch] as const);
    expect([...carsSeen].sort((x, y) => x[2] - y[2])).toEqual([
      [null, 'GID_cars@@@c1', 1],
      [null, 'GID_cars@@@c1', 2],
    ]);
  });

  it('applies a disable and an enable announced on fleetmq.control at once, without restart (outflow and inflow)', async () => {
    const raw = await collect(topic('raw'), true);
    const json = await collect(topic('json'), true);
    await setEnabled('raw', false);
    await setEnabled('p2p', false);
    const t0 = Date.now();
    await waitFor(() => router.rules.current().get(rules.raw!) === undefined, { timeoutMs: 5_000, what: 'disable seen through rules-changed' });
    const disableMs = Date.now() - t0;
    await waitFor(() => router.inflowConsumer(rules.p2p!) === undefined, { timeoutMs: 10_000, what: 'inflow consumer stopped' });
    await uplink([{ topic: 'telemetry/d1/temp', msgId: `${tag}-d1` }]);
    await json.waitForCount(1);
    await quietWindow(500, 'a record routed by the disabled rule');
    expect(raw.messages).toHaveLength(0);

    await setEnabled('raw', true);
    await setEnabled('p2p', true);
    await waitFor(() => router.rules.current().get(rules.raw!) !== undefined, { timeoutMs: 5_000, what: 'enable seen through rules-changed' });
    await uplink([{ topic: 'telemetry/d1/temp', msgId: `${tag}-d2` }]);
    const [back] = await raw.waitForCount(1);
    expect(header(back!, HEADERS.msgId)).toBe(`${tag}-d2`);
    await waitFor(() => router.inflowConsumer(rules.p2p!)?.joins, { timeoutMs: 15_000, what: 'inflow consumer restarted' });
    expect(disableMs).toBeLessThan(2_000);
  });

  it('sends an undecodable uplink record to the DLQ and keeps routing', async () => {
    const dlq = await collect(DLQ_TOPIC, true, mine);
    const raw = await collect(topic('raw'), true);
    const good = buildUplinkRecord({ instanceId, clientId: 'GID_a@@@d1', topic: 'telemetry/ok', qos: 1, retain: false, payload: Buffer.from('ok') }, 'n');
    await producer.send({
      topic: UPLINK_TOPIC,
      messages: [{ key: `${instanceId}/GID_a@@@d1`, value: Buffer.from('broken'), headers: { [HEADERS.instance]: instanceId, [HEADERS.qos]: '7' } }, good],
    });
    const [dead] = await dlq.waitForCount(1);
    expect(header(dead!, HEADERS.dlqReason)).toBe('invalid-record');
    expect(dead!.value?.toString()).toBe('broken');
    expect(header(dead!, HEADERS.dlqSource)).toMatch(/^fleetmq\.uplink:\d+:\d+$/);
    const [ok] = await raw.waitForCount(1);
    expect(ok!.value?.toString()).toBe('ok');
  });

  it('skips and counts a redelivered record it already routed', async () => {
    const raw = await collect(topic('raw'), true);
    const before = router.counters.get(rules.raw!);
    await uplink([{ topic: 'telemetry/dup', msgId: `${tag}-dup` }]);
    await raw.waitForCount(1);
    await uplink([{ topic: 'telemetry/dup', msgId: `${tag}-dup` }, { topic: 'telemetry/after', msgId: `${tag}-after` }]);
    await raw.waitForCount(2);
    await quietWindow(300, 'the duplicate routed a second time');
    expect(raw.messages.map((m) => header(m, HEADERS.msgId))).toEqual([`${tag}-dup`, `${tag}-after`]);
    expect(router.counters.get(rules.raw!)).toEqual({ matched: before.matched + 3, routed: before.routed + 2, failed: 0 });
    const metric = await router.metrics.duplicates.get();
    expect(metric.values.find((v) => v.labels.flow === 'outflow')?.value).toBe(1);
  });
});
