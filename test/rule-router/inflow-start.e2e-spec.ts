import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { InstanceEntity, openDataSource, RuleEntity, TypeOrmRuleCounterRepository, TypeOrmRuleSourceRepository } from '#domain/persistence';
import { buildUplinkRecord, createKafka, DOWNLINK_TOPIC, ensureTopics, HEADERS, UPLINK_TOPIC } from '#messaging';
import { RuleRouter } from '../../apps/rule-router/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { Collector, header, unique } from './kafka-kit.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
const PARTITIONS = 3;

/**
 * An inflow rule delivers every record produced after its creation (docs/RULES.md), also on
 * partitions that had no record yet when its group first joined: across a disable and enable,
 * a router restart, a rebalance between two routers, and when the rule was created (and its
 * topic filled, or even created) while no router ran. Each case has its own topics and rule.
 */
/** Separates 'before the rule' from 'after' by more than the producer and database clocks differ. */
const CLOCK_MARGIN_MS = 1_000;

describeWithKafka('inflow rules keep every record produced after their creation (real Kafka)', () => {
  const schema = uniqueSchema('inflowstart');
  const instanceId = `fmq-${Date.now().toString(36).slice(-6)}${Math.floor(Math.random() * 1e4)}`;
  const tag = unique('is');
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let downlink: Collector;
  const routers = new Set<RuleRouter>();

  const newTopic = async (name: string): Promise<string> => {
    const topic = `${tag}.${name}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [topic], PARTITIONS, 1);
    await admin.disconnect();
    return topic;
  };
  const addRule = async (name: string, kafkaTopic: string): Promise<string> => {
    const repo = ds.getRepository(RuleEntity);
    const row = await repo.save(
      repo.create({ instanceId, name, kind: 'inflow', source: { kafkaTopic }, target: { topicTemplate: `cmd/${name}`, qos: 1, retain: false }, enabled: true }),
    );
    return row.id;
  };
  const startRouter = async (id: string, flows = { outflow: false, status: false, inflow: true }, outflowGroupId?: string): Promise<RuleRouter> => {
    const router = new RuleRouter({
      kafka,
      ruleSource: new TypeOrmRuleSourceRepository(ds),
      ruleCounters: new TypeOrmRuleCounterRepository(ds),
      logger,
      metricsRegistry: new Registry(),
      options: {
        routerId: `${tag}-${id}`,
        inflowGroupPrefix: `${tag}-in-`,
        flows,
        ...(outflowGroupId === undefined ? {} : { outflowGroupId }),
        rulesPollMs: 30_000,
        countersFlushMs: 60_000,
        tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 3 },
      },
    });
    routers.add(router);
    await router.start();
    return router;
  };
  const stopRouter = async (router: RuleRouter): Promise<void> => {
    await router.stop();
    routers.delete(router);
  };
  /** Resolves when `groupId` has a committed offset on every partition of `topic`. */
  const committedEverywhere = (groupId: string, topic: string): Promise<true> =>
    waitFor(
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const all = (await admin.fetchTopicOffsets(topic)).length;
          return offsets!.partitions.filter((p) => p.offset !== '-1').length === all;
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs: 30_000, what: `committed offsets of ${groupId} on every partition of ${topic}` },
    );
  const joined = (router: RuleRouter, ruleId: string): Promise<number> =>
    waitFor(() => router.inflowConsumer(ruleId)?.joins, { timeoutMs: 30_000, what: `inflow consumer of ${ruleId} joined` });
  /** One record on every partition, so partitions that never had one are covered too. */
  const produceEach = async (topic: string, label: string): Promise<string[]> => {
    const values = Array.from({ length: PARTITIONS }, (_, partition) => `${label}-${partition}`);
    await producer.send({ topic, acks: -1, messages: values.map((value, partition) => ({ partition, value })) });
    return values;
  };
  /** The payloads delivered to fleetmq.downlink for MQTT topic cmd/<rule name>. */
  const delivered = (name: string): string[] =>
    downlink.messages.filter((m) => header(m, HEADERS.topic) === `cmd/${name}`).map((m) => m.value!.toString()).sort();
  const waitDelivered = (name: string, expected: string[]): Promise<string[]> =>
    waitFor(() => delivered(name).length >= expected.length && delivered(name), { timeoutMs: 30_000, what: `${expected.length} records of rule ${name} (have ${delivered(name).join(',')})` });

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 4 });
    await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'inflow start e2e' });
    kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'inflow-start-e2e', logger });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    downlink = await new Collector(kafka, DOWNLINK_TOPIC, (m) => header(m, HEADERS.instance) === instanceId).start(true);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...routers].map((r) => r.stop().catch(() => undefined)));
    await downlink?.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await dropSchema(schema);
  }, 60_000);

  it('disable, produce, enable: the records produced while disabled are delivered', async () => {
    const topic = await newTopic('toggle');
    const ruleId = await addRule('toggle', topic);
    const router = await startRouter('toggle');
    try {
      await joined(router, ruleId);
      // The start position is committed at the first join, before any record exists.
      await committedEverywhere(`${tag}-in-${ruleId}`, topic);
      await ds.getRepository(RuleEntity).update({ id: ruleId }, { enabled: false });
      await router.rules.reload();
      await waitFor(() => router.inflowConsumer(ruleId) === undefined, { timeoutMs: 15_000, what: 'inflow consumer stopped' });
      const values = await produceEach(topic, 'while-disabled');
      await ds.getRepository(RuleEntity).update({ id: ruleId }, { enabled: true });
      await router.rules.reload();
      expect(await waitDelivered('toggle', values)).toEqual(values);
    } finally {
      await stopRouter(router);
    }
  }, 90_000);

  it('stop the router, produce, start it again: the records produced while it was down are delivered', async () => {
    const topic = await newTopic('restart');
    const ruleId = await addRule('restart', topic);
    const first = await startRouter('restart-1');
    await joined(first, ruleId);
    await stopRouter(first);
    const values = await produceEach(topic, 'while-down');
    const second = await startRouter('restart-2');
    try {
      expect(await waitDelivered('restart', values)).toEqual(values);
    } finally {
      await stopRouter(second);
    }
  }, 90_000);

  it('a rebalance between two routers loses nothing: records produced while partitions move are delivered', async () => {
    const topic = await newTopic('rebalance');
    const ruleId = await addRule('rebalance', topic);
    const a = await startRouter('rebalance-a');
    const b = await startRouter('rebalance-b');
    try {
      await joined(a, ruleId);
      await joined(b, ruleId);
      // Both members hold part of the topic once the group has settled.
      await waitFor(
        () => {
          const held = [...(a.inflowConsumer(ruleId)?.assigned ?? []), ...(b.inflowConsumer(ruleId)?.assigned ?? [])];
          return held.length === PARTITIONS && (a.inflowConsumer(ruleId)?.assigned.length ?? 0) > 0 && (b.inflowConsumer(ruleId)?.assigned.length ?? 0) > 0;
        },
        { timeoutMs: 30_000, what: 'partitions shared by both routers' },
      );
      const bJoins = b.inflowConsumer(ruleId)!.joins;
      // a leaves: its partitions move to b, which has never committed on them.
      await stopRouter(a);
      const values = await produceEach(topic, 'during-rebalance');
      await waitFor(() => (b.inflowConsumer(ruleId)?.joins ?? 0) > bJoins && b.inflowConsumer(ruleId)!.assigned.length === PARTITIONS, { timeoutMs: 30_000, what: 'b took every partition' });
      const after = await produceEach(topic, 'after-rebalance');
      expect(await waitDelivered('rebalance', [...values, ...after])).toEqual([...after, ...values].sort());
    } finally {
      await stopRouter(b);
    }
  }, 120_000);

  it('a rule created while no router runs delivers what was produced since, not before; also when its topic did not exist yet', async () => {
    const topic = await newTopic('offline');
    const before = await produceEach(topic, 'before-rule');
    // Record timestamps and the rule's created_at come from different clocks (producer, database).
    await new Promise((r) => setTimeout(r, CLOCK_MARGIN_MS));
    const ruleId = await addRule('offline', topic);
    const values = await produceEach(topic, 'after-rule');
    // This rule's source topic is created only after the rule, still with no router running.
    const laterTopic = `${tag}.later`;
    const laterRuleId = await addRule('later', laterTopic);
    await newTopic('later');
    const laterValues = await produceEach(laterTopic, 'new-topic');

    const router = await startRouter('offline');
    try {
      expect(await waitDelivered('offline', values)).toEqual(values);
      expect(await waitDelivered('later', laterValues)).toEqual(laterValues);
      await joined(router, ruleId);
      await joined(router, laterRuleId);
      // Nothing older than the rule, even after the group has settled.
      await produceEach(topic, 'z-marker');
      await waitFor(() => delivered('offline').length >= 2 * PARTITIONS, { timeoutMs: 30_000, what: 'marker records' });
      expect(delivered('offline').filter((v) => before.includes(v))).toEqual([]);
    } finally {
      await stopRouter(router);
    }
  }, 90_000);

  it('the outflow group of a new deployment commits its start too: uplink records produced while the router was down are routed', async () => {
    const target = await newTopic('outflow-target');
    const repo = ds.getRepository(RuleEntity);
    await repo.save(repo.create({ instanceId, name: 'out', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: target }, enabled: true }));
    const groupId = `${tag}-out`;
    const flows = { outflow: true, status: false, inflow: false };
    const first = await startRouter('out-1', flows, groupId);
    await waitFor(() => first.outflowConsumer.joins > 0, { timeoutMs: 30_000, what: 'outflow group joined' });
    await committedEverywhere(groupId, UPLINK_TOPIC);
    await stopRouter(first);
    const partitions = (await (async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return await admin.fetchTopicOffsets(UPLINK_TOPIC);
      } finally {
        await admin.disconnect();
      }
    })()).map((o) => o.partition);
    const msgIds = partitions.map((p) => `${tag}-up-${p}`);
    await producer.send({
      topic: UPLINK_TOPIC,
      acks: -1,
      messages: partitions.map((partition, i) => ({
        ...buildUplinkRecord({ instanceId, clientId: 'GID_a@@@d1', topic: 'telemetry/d1', qos: 1, retain: false, payload: Buffer.from('x'), msgId: msgIds[i] }, 'test-node'),
        partition,
      })),
    });
    const backend = await new Collector(kafka, target).start(false);
    const second = await startRouter('out-2', flows, groupId);
    try {
      const routed = await backend.waitForCount(partitions.length, 30_000);
      expect(routed.map((m) => header(m, HEADERS.msgId)).sort()).toEqual([...msgIds].sort());
    } finally {
      await backend.stop();
      await stopRouter(second);
    }
  }, 90_000);
});
