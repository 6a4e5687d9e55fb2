import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { InstanceEntity, openDataSource, RuleCounterEntity, RuleEntity } from '#domain/persistence';
import { buildUplinkRecord, createKafka, DLQ_TOPIC, ensureTopics, HEADERS, INTERNAL_TOPICS, UPLINK_TOPIC } from '#messaging';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { Collector, header, startGroupAtEnd, unique } from './kafka-kit.js';
import { testKafkaBrokers, describeWithKafka } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(ROOT, 'test/rule-router/fixtures/router-process.mjs');
const logger = createLogger('silent');

interface Joined {
  partitions: number[];
  joins: number;
}

/** A router child process; its group joins arrive as JSON lines on stdout. */
class RouterProcess {
  readonly child: ChildProcess;
  started = false;
  joined: Joined | null = null;
  exitCode: number | null | undefined = undefined;
  private stderr = '';

  constructor(args: object) {
    this.child = spawn(process.execPath, [FIXTURE, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const event = JSON.parse(line) as { event: string } & Joined;
        if (event.event === 'started') this.started = true;
        if (event.event === 'joined') this.joined = { partitions: event.partitions, joins: event.joins };
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  async ready(): Promise<void> {
    await waitFor(() => this.joined !== null || (this.exitCode !== undefined && 'exit'), { timeoutMs: 60_000, what: 'router process joined' }).then((v) => {
      if (v === 'exit') throw new Error(`router process exited ${this.exitCode}: ${this.stderr}`);
    });
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.exitCode !== undefined) return resolve(this.exitCode);
      this.child.once('exit', (code) => resolve(code));
      this.child.kill(signal);
    });
  }
}

describeWithKafka('rule router processes: crash, restart and scale-out (real Kafka and PostgreSQL)', () => {
  const schema = uniqueSchema('rrproc');
  const instanceId = `fmq-${Date.now().toString(36).slice(-6)}p${Math.floor(Math.random() * 1e4)}`;
  const tag = unique('rrp');
  const target = `${tag}.load`;
  const missing = `${tag}.never-created`;
  const group = `${tag}-out`;
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let loadRule: string;
  let lostRule: string;
  const children: RouterProcess[] = [];
  const collectors: Collector[] = [];

  const spawnRouter = (routerId: string): RouterProcess => {
    const child = new RouterProcess({
      routerId,
      brokers: testKafkaBrokers(),
      databaseUrl: testDatabaseUrl(),
      schema,
      options: {
        routerId,
        outflowGroupId: group,
        statusGroupId: `${tag}-status`,
        inflowGroupPrefix: `${tag}-in-`,
        createTopics: false,
        rulesPollMs: 1_000,
        countersFlushMs: 300,
        chunkSize: 200,
        flows: { outflow: true, inflow: false, status: false },
        tuning: { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 6 },
      },
    });
    children.push(child);
    return child;
  };

  /** Produces `count` records spread over 20 clients at about `perSecond`; resolves with their msgIds. */
  const produceLoad = async (prefix: string, count: number, perSecond: number): Promise<string[]> => {
    const ids: string[] = [];
    const batch = 50;
    const t0 = Date.now();
    for (let i = 0; i < count; i += batch) {
      const messages = [];
      for (let j = i; j < Math.min(count, i + batch); j++) {
        const client = `GID_load@@@d${j % 20}`;
        const msgId = `${prefix}-${String(j).padStart(6, '0')}`;
        ids.push(msgId);
        messages.push(buildUplinkRecord({ instanceId, clientId: client, topic: `load/d${j % 20}`, qos: 1, retain: false, payload: Buffer.from(String(j)), msgId }, 'load'));
      }
      await producer.send({ topic: UPLINK_TOPIC, acks: -1, messages });
      const due = t0 + ((i + batch) / perSecond) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    return ids;
  };

  beforeAll(async () => {
    // The children run the compiled code: build it (errors of other folders do not stop tsc emitting).
    await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
    if (!existsSync(path.join(ROOT, 'dist/apps/rule-router/src/index.js'))) throw new Error('build of apps/rule-router failed');
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
    await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'router processes' });
    const rules = ds.getRepository(RuleEntity);
    loadRule = (await rules.save(rules.create({ instanceId, name: 'load', kind: 'outflow', source: { topicFilter: 'load/#' }, target: { kafkaTopic: target }, enabled: true }))).id;
    lostRule = (await rules.save(rules.create({ instanceId, name: 'lost', kind: 'outflow', source: { topicFilter: 'lost/#' }, target: { kafkaTopic: missing }, enabled: true }))).id;
    kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'router-processes-e2e', logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [...INTERNAL_TOPICS], 6, 1);
    await ensureTopics(admin, [target], 6, 1);
    await admin.disconnect();
    await startGroupAtEnd(kafka, group, UPLINK_TOPIC);
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await Promise.all(collectors.map((c) => c.stop().catch(() => undefined)));
    await producer?.disconnect();
    await ds?.destroy();
    await dropSchema(schema);
  }, 30_000);

  it('loses nothing when a router is SIGKILLed mid-stream and another takes over (duplicates allowed, counted)', async () => {
    const out = await new Collector(kafka, target).start(false);
    collectors.push(out);
    const first = spawnRouter(`${tag}-r1`);
    await first.ready();
    const load = produceLoad(`${tag}-k`, 3_000, 1_000);
    await waitFor(() => out.messages.length >= 800, { timeoutMs: 20_000, what: 'routing under way' });
    await first.kill('SIGKILL');
    const second = spawnRouter(`${tag}-r2`);
    await second.ready();
    const ids = await load;
    await waitFor(() => new Set(out.messages.map((m) => header(m, HEADERS.msgId))).size >= ids.length, { timeoutMs: 60_000, what: 'every record routed after the restart' });

    const seen = out.messages.map((m) => header(m, HEADERS.msgId)!);
    const distinct = new Set(seen);
    expect([...ids].filter((id) => !distinct.has(id))).toEqual([]);
    const duplicates = seen.length - distinct.size;
    // Per client, first deliveries keep the publish order.
    const lastSeq = new Map<string, number>();
    const firstSeen = new Set<string>();
    for (const m of out.messages) {
      const id = header(m, HEADERS.msgId)!;
      if (firstSeen.has(id)) continue;
      firstSeen.add(id);
      const client = m.key!.toString();
      const seq = Number(m.value!.toString());
      expect(seq).toBeGreaterThan(lastSeq.get(client) ?? -1);
      lastSeq.set(client, seq);
    }
    process.stdout.write(`crash test: ${ids.length} records, ${duplicates} duplicates after SIGKILL\n`);
  }, 120_000);

  it('shares the uplink partitions between two routers that together route everything', async () => {
    const out = await new Collector(kafka, target).start(true);
    collectors.push(out);
    const third = spawnRouter(`${tag}-r3`);
    await third.ready();
    const second = children[1]!;
    await waitFor(
      () => {
        const a = second.joined?.partitions ?? [];
        const b = third.joined?.partitions ?? [];
        return a.length > 0 && b.length > 0 && new Set([...a, ...b]).size === 6 && a.length + b.length === 6;
      },
      { timeoutMs: 30_000, what: 'both routers assigned' },
    );
    const counters = ds.getRepository(RuleCounterEntity);
    const before = new Map((await counters.findBy({ ruleId: loadRule })).map((r) => [r.routerId, r.routed]));
    const ids = await produceLoad(`${tag}-s`, 600, 2_000);
    await waitFor(() => new Set(out.messages.map((m) => header(m, HEADERS.msgId))).size >= ids.length, { timeoutMs: 30_000, what: 'every record routed' });
    await waitFor(
      async () => {
        const rows = await counters.findBy({ ruleId: loadRule });
        const delta = (id: string) => (rows.find((r) => r.routerId === id)?.routed ?? 0) - (before.get(id) ?? 0);
        return delta(`${tag}-r2`) > 0 && delta(`${tag}-r3`) > 0 && delta(`${tag}-r2`) + delta(`${tag}-r3`) >= ids.length;
      },
      { timeoutMs: 10_000, what: 'both routers counted routed records' },
    );
  }, 90_000);

  it('sends a record for a missing target topic to the DLQ when topic creation is off', async () => {
    const dlq = await new Collector(kafka, DLQ_TOPIC, (m) => header(m, 'fleetmq-dlq-rule') === lostRule).start(true);
    collectors.push(dlq);
    await producer.send({
      topic: UPLINK_TOPIC,
      messages: [buildUplinkRecord({ instanceId, clientId: 'GID_load@@@x', topic: 'lost/x', qos: 1, retain: false, payload: Buffer.from('nowhere') }, 'n')],
    });
    const [dead] = await dlq.waitForCount(1);
    expect(header(dead!, HEADERS.dlqReason)).toBe('unknown-topic');
    expect(dead!.value?.toString()).toBe('nowhere');
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(missing);
    await admin.disconnect();
  });

  it('stops gracefully on SIGTERM (exit 0) and the other router takes every partition', async () => {
    const [, second, third] = children;
    expect(await third!.kill('SIGTERM')).toBe(0);
    await waitFor(() => second!.joined?.partitions.length === 6, { timeoutMs: 20_000, what: 'remaining router owns all partitions' });
  }, 30_000);
});
