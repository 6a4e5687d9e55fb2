import { Registry } from 'prom-client';
import { createLogger } from '#config';
import { RuleCounterRepository, type RuleCounterTotals } from '#domain/persistence';
import { createBackoff, DLQ_TOPIC, HEADERS, type ConsumedBatch, type ConsumedRecord, type ProducerLike } from '#messaging';
import { BatchPipeline, DLQ_RULE_HEADER, type Planner } from './batch-pipeline.js';
import { RouterProducer } from './produce.js';
import { RuleCounters } from './rule-counters.js';
import { RouterMetrics } from './router-metrics.js';
import { SeenSet } from './seen-set.js';
import type { TopicProvisioner } from './topic-provisioner.js';

class NoCounters extends RuleCounterRepository {
  async saveTotals(): Promise<void> {}
  async loadTotals(): Promise<RuleCounterTotals[]> {
    return [];
  }
}

type Behaviour = 'ack' | Error | Promise<void>;

/** sendBatch answers from a script: ack, throw, or wait for a promise the test settles. */
class ScriptedProducer {
  readonly script: Behaviour[] = [];
  readonly batches: Array<Parameters<ProducerLike['sendBatch']>[0]> = [];
  readonly factory = (): ProducerLike => ({
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: async (batch) => {
      this.batches.push(batch);
      const next = this.script.shift() ?? 'ack';
      if (next instanceof Error) throw next;
      if (next !== 'ack') await next;
      return [];
    },
  });
}

const protocolError = (type: string): Error => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', retriable: false, type });

const record = (offset: number, value = `v${offset}`): ConsumedRecord =>
  ({ offset: String(offset), key: Buffer.from('k'), value: Buffer.from(value), headers: { [HEADERS.msgId]: `m${offset}` }, timestamp: '0' });

function setup(options: { chunkSize?: number; unavailable?: string[]; stopping?: () => number | null } = {}) {
  const kafka = new ScriptedProducer();
  const metrics = new RouterMetrics(new Registry());
  const counters = new RuleCounters(new NoCounters(), 'r', createLogger('silent'));
  const producer = new RouterProducer(kafka.factory, () => metrics.produceRetries.inc(), createBackoff({ initialMs: 1, maxMs: 2, jitter: 0 }));
  const provisioner = { unavailable: async () => new Set(options.unavailable ?? []) } as unknown as TopicProvisioner;
  const seen = new SeenSet(100);
  const pipeline = new BatchPipeline({
    flow: 'outflow',
    producer,
    provisioner,
    counters,
    metrics,
    seen,
    chunkSize: options.chunkSize ?? 100,
    stopGraceMs: 0,
    stopping: options.stopping ?? (() => null),
  });
  const resolved: string[] = [];
  const payload = (messages: ConsumedRecord[]): ConsumedBatch =>
    ({
      batch: { topic: 'fleetmq.uplink', partition: 3, messages },
      resolveOffset: (offset: string) => resolved.push(offset),
      commitOffsetsIfNecessary: async () => {},
      heartbeat: async () => {},
      isRunning: () => true,
      isStale: () => false,
    }) as unknown as ConsumedBatch;
  return { kafka, metrics, counters, pipeline, resolved, payload, seen };
}

/** Each record goes to rule r1 on topic-a and rule r2 on topic-b. */
const twoRules: Planner = (m) => ({
  kind: 'routes',
  routes: [
    { ruleId: 'r1', topic: 'topic-a', message: { key: m.key, value: m.value }, msgId: `m${m.offset}` },
    { ruleId: 'r2', topic: 'topic-b', message: { key: m.key, value: m.value } },
  ],
});

describe('BatchPipeline', () => {
  it('resolves a chunk only after Kafka acknowledged all its outputs', async () => {
    const t = setup();
    let ack!: () => void;
    t.kafka.script.push(new Promise<void>((r) => (ack = r)));
    const run = t.pipeline.run(t.payload([record(10), record(11)]), twoRules);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.resolved).toEqual([]);
    ack();
    await run;
    expect(t.resolved).toEqual(['11']);
    expect(t.kafka.batches[0]!.topicMessages!.map((tm) => [tm.topic, tm.messages.length])).toEqual([
      ['topic-a', 2],
      ['topic-b', 2],
    ]);
    expect(t.counters.get('r1')).toEqual({ matched: 0, routed: 2, failed: 0 });
    expect(t.seen.has('r1', 'm10')).toBe(true);
  });

  it('retries transient failures and resolves once they pass', async () => {
    const t = setup();
    t.kafka.script.push(new Error('Connection error'), Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false }), 'ack');
    await t.pipeline.run(t.payload([record(1)]), twoRules);
    expect(t.resolved).toEqual(['1']);
    expect(t.kafka.batches).toHaveLength(3);
    expect((await t.metrics.produceRetries.get()).values[0]!.value).toBe(2);
  });

  it('leaves the chunk unresolved when the router stops while Kafka does not answer', async () => {
    const t = setup({ stopping: () => 0 });
    t.kafka.script.push(new Error('Connection error'), new Error('Connection error'));
    await t.pipeline.run(t.payload([record(1)]), twoRules);
    expect(t.resolved).toEqual([]);
    expect(t.counters.get('r1').routed).toBe(0);
    expect(t.seen.has('r1', 'm1')).toBe(false);
  });

  it('sends routes to a topic that refuses them to the DLQ, the others through', async () => {
    const t = setup();
    t.kafka.script.push(protocolError('MESSAGE_TOO_LARGE'), 'ack', protocolError('MESSAGE_TOO_LARGE'), 'ack');
    await t.pipeline.run(t.payload([record(5)]), twoRules);
    expect(t.resolved).toEqual(['5']);
    expect(t.counters.get('r1')).toEqual({ matched: 0, routed: 1, failed: 0 });
    expect(t.counters.get('r2')).toEqual({ matched: 0, routed: 0, failed: 1 });
    const dlq = t.kafka.batches.at(-1)!.topicMessages!;
    expect(dlq[0]!.topic).toBe(DLQ_TOPIC);
    expect(dlq[0]!.messages[0]!.headers).toMatchObject({ [HEADERS.dlqReason]: 'produce-rejected', [DLQ_RULE_HEADER]: 'r2', [HEADERS.dlqSource]: 'fleetmq.uplink:3:5' });
  });

  it('copies a record for a missing topic to the DLQ as unknown-topic, in the same produce', async () => {
    const t = setup({ unavailable: ['topic-b'] });
    await t.pipeline.run(t.payload([record(7)]), twoRules);
    expect(t.kafka.batches).toHaveLength(1);
    const topics = t.kafka.batches[0]!.topicMessages!;
    expect(topics.map((tm) => tm.topic)).toEqual(['topic-a', DLQ_TOPIC]);
    expect(topics[1]!.messages[0]!.headers).toMatchObject({ [HEADERS.dlqReason]: 'unknown-topic', [DLQ_RULE_HEADER]: 'r2' });
    expect(t.counters.get('r2').failed).toBe(1);
    expect(t.resolved).toEqual(['7']);
  });

  it('works chunk by chunk, in order, and stops before a halted record', async () => {
    const t = setup({ chunkSize: 2 });
    await t.pipeline.run(t.payload([record(0), record(1), record(2), record(3), record(4)]), twoRules);
    expect(t.resolved).toEqual(['1', '3', '4']);
    const halting = setup();
    const planner: Planner = (m) => (m.offset === '2' ? { kind: 'halt' } : twoRules(m, { topic: 't', partition: 0, offset: m.offset }));
    await halting.pipeline.run(halting.payload([record(0), record(1), record(2), record(3)]), planner);
    expect(halting.resolved).toEqual(['1']);
  });

  it('counts the records of a chunk by outcome', async () => {
    const t = setup();
    const planner: Planner = (m) =>
      m.offset === '0' ? { kind: 'dlq', reason: 'invalid-record', detail: 'x' } : m.offset === '1' ? { kind: 'routes', routes: [] } : twoRules(m, { topic: 't', partition: 0, offset: m.offset });
    await t.pipeline.run(t.payload([record(0), record(1), record(2), record(3)]), planner);
    const counted = (await t.metrics.records.get()).values.map((v) => [v.labels.result, v.value]);
    expect(counted.sort()).toEqual([
      ['invalid', 1],
      ['routed', 2],
      ['unmatched', 1],
    ]);
  });
});
