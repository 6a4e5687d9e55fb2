import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { InstanceEntity, openDataSource, RuleEntity } from '#domain/persistence';
import { buildUplinkRecord, createKafka, ensureTopics, HEADERS, INTERNAL_TOPICS, type KafkaMessaging, UPLINK_TOPIC } from '#messaging';
import type { RuleRouter } from '../../apps/rule-router/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { describeWithKafka, testKafkaBrokers } from '../helpers/kafka.js';
import { quietWindow, waitFor } from '../helpers/wait.js';
import { Collector, header, routerFixture, unique } from './kafka-kit.js';

const logger = createLogger('silent');

/**
 * docs/RULES.md: the outflow and status flows consume only while an enabled rule of their kind
 * exists; a rule created while its flow was paused gets what was produced since its creation,
 * and re-enabling the only rule does not replay what came while it was disabled.
 */
describeWithKafka('rule router flows without rules (real Kafka and PostgreSQL)', () => {
  const schema = uniqueSchema('rrgate');
  const instanceId = `fmq-${Date.now().toString(36).slice(-6)}${Math.floor(Math.random() * 1e4)}`;
  const tag = unique('rrgate');
  const target = `${tag}.out`;
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let router: RuleRouter;
  let messaging: KafkaMessaging;
  let control: KafkaMessaging;
  let collector: Collector;
  const registry = new Registry();
  let ruleId = '';

  const uplink = (msgId: string) =>
    producer.send({
      topic: UPLINK_TOPIC,
      acks: -1,
      messages: [buildUplinkRecord({ instanceId, clientId: 'GID_a@@@d1', qos: 1, retain: false, payload: Buffer.from('x'), topic: 'telemetry/t', msgId }, 'test-node')],
    });
  /** Records the outflow flow has consumed, whatever their outcome. */
  const consumed = async (): Promise<number> => {
    const metric = await registry.getSingleMetric('fleetmq_rule_router_records_total')!.get();
    return metric.values.filter((v) => v.labels.flow === 'outflow').reduce((sum, v) => sum + v.value, 0);
  };
  const announce = () => control.control().publish({ type: 'rules-changed', instanceId, ruleId });
  const routedIds = (): string[] => collector.messages.map((m) => header(m, HEADERS.msgId)!).sort();

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 4 });
    await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'flow gate e2e' });
    kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'flow-gate-e2e', logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [...INTERNAL_TOPICS], 6, 1);
    await ensureTopics(admin, [target], 2, 1);
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const options = {
      routerId: 'router-gate',
      outflowGroupId: `${tag}-out`,
      statusGroupId: `${tag}-status`,
      inflowGroupPrefix: `${tag}-in-`,
      partitions: 2,
      // Long poll: the changes below reach the router only when announced.
      rulesPollMs: 60_000,
      tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 6 },
    };
    ({ router, messaging, console: control } = await routerFixture(kafka, ds, options, tag, registry));
    await router.start();
    await waitFor(() => router.outflowConsumer.joins > 0 && router.statusConsumer.joins > 0, { timeoutMs: 20_000, what: 'router groups joined' });
    collector = await new Collector(kafka, target).start(true);
  }, 60_000);

  afterAll(async () => {
    await collector?.stop().catch(() => undefined);
    await router?.stop();
    await messaging?.stop();
    await control?.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await dropSchema(schema);
  }, 30_000);

  it('consumes nothing while no rule wants the flow', async () => {
    expect(router.outflowConsumer.isWanted).toBe(false);
    expect(router.statusConsumer.isWanted).toBe(false);
    await uplink(`${tag}-before-rule`);
    await quietWindow(1_000, 'an outflow record consumed without a rule');
    expect(await consumed()).toBe(0);
  });

  it('gives a rule created while the flow was paused what was produced since its creation, also before the router saw it', async () => {
    const repo = ds.getRepository(RuleEntity);
    const row = await repo.save(repo.create({ instanceId, name: 'gate', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: target }, enabled: true }));
    ruleId = row.id;
    // Produced after the rule's row exists, but before any router knows of it.
    await uplink(`${tag}-after-create`);
    await announce();
    await waitFor(() => router.outflowConsumer.isWanted, { timeoutMs: 10_000, what: 'outflow resumed' });
    await uplink(`${tag}-after-resume`);
    await collector.waitForCount(2);
    await quietWindow(500, 'a record produced before the rule routed');
    expect(routedIds()).toEqual([`${tag}-after-create`, `${tag}-after-resume`]);
  });

  it('pauses when its only rule is disabled, and does not replay that time when it is enabled again', async () => {
    await ds.getRepository(RuleEntity).update({ id: ruleId }, { enabled: false });
    await announce();
    await waitFor(() => !router.outflowConsumer.isWanted, { timeoutMs: 10_000, what: 'outflow paused' });
    const before = await consumed();
    await uplink(`${tag}-while-disabled`);
    await quietWindow(1_000, 'a record consumed while the flow was paused');
    expect(await consumed()).toBe(before);

    await ds.getRepository(RuleEntity).update({ id: ruleId }, { enabled: true });
    await announce();
    await waitFor(() => router.outflowConsumer.isWanted, { timeoutMs: 10_000, what: 'outflow resumed' });
    await uplink(`${tag}-re-enabled`);
    await collector.waitForCount(3);
    await quietWindow(500, 'the disabled time replayed');
    expect(routedIds()).toEqual([`${tag}-after-create`, `${tag}-after-resume`, `${tag}-re-enabled`]);
  });
});
