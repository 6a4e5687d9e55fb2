// Uplink record -> backend consumer latency through a rule router process, at a steady load.
// Opt-in (slow): FLEETMQ_ROUTER_LATENCY=1 [FLEETMQ_ROUTER_LATENCY_RATE=1000 FLEETMQ_ROUTER_LATENCY_SECONDS=20]
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { createLogger } from '#config';
import { InstanceEntity, openDataSource, RuleEntity } from '#domain/persistence';
import { buildUplinkRecord, createKafka, ensureTopics, HEADERS, INTERNAL_TOPICS, UPLINK_TOPIC } from '#messaging';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { header, startGroupAtEnd, testKafkaBrokers, unique } from './kafka-kit.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const enabled = process.env.FLEETMQ_ROUTER_LATENCY === '1';
const RATE = Number(process.env.FLEETMQ_ROUTER_LATENCY_RATE ?? 1000);
const SECONDS = Number(process.env.FLEETMQ_ROUTER_LATENCY_SECONDS ?? 20);

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

(enabled ? describe : describe.skip)('rule router latency (opt-in)', () => {
  it(`uplink record -> backend consumer at ${RATE} msg/s for ${SECONDS} s`, async () => {
    await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
    const schema = uniqueSchema('rrlat');
    const tag = unique('rrlat');
    const instanceId = `fmq-${Date.now().toString(36).slice(-6)}l`;
    const target = `${tag}.telemetry`;
    const logger = createLogger('silent');
    const ds: DataSource = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
    await ds.getRepository(InstanceEntity).insert({ id: instanceId, name: 'latency' });
    const rules = ds.getRepository(RuleEntity);
    await rules.save(rules.create({ instanceId, name: 'lat', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, target: { kafkaTopic: target }, enabled: true }));
    const kafka = createKafka({ brokers: testKafkaBrokers(), clientId: 'latency', logger });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [...INTERNAL_TOPICS], 6, 1);
    await ensureTopics(admin, [target], 6, 1);
    await admin.disconnect();
    const group = `${tag}-out`;
    await startGroupAtEnd(kafka, group, UPLINK_TOPIC);

    const routerId = `${tag}-router`;
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'test/rule-router/fixtures/router-process.mjs'),
        JSON.stringify({
          routerId,
          brokers: testKafkaBrokers(),
          databaseUrl: testDatabaseUrl(),
          schema,
          options: { routerId, outflowGroupId: group, flows: { outflow: true, inflow: false, status: false }, tuning: { sessionTimeout: 10_000, heartbeatInterval: 1_000 } },
        }),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let joined = false;
    child.stdout!.on('data', (d: Buffer) => (joined ||= d.toString().includes('"joined"')));

    const latencies: number[] = [];
    const backend = kafka.consumer({ groupId: `${tag}-backend`, maxWaitTimeInMs: 100 });
    await backend.connect();
    await backend.subscribe({ topic: target, fromBeginning: true });
    await backend.run({
      eachMessage: async ({ message }) => {
        const now = Date.now();
        latencies.push(now - Number(header(message, HEADERS.ts)));
      },
    });
    // The same records read straight from fleetmq.uplink: the share of the latency that is Kafka's and this machine's.
    const direct: number[] = [];
    const tap = kafka.consumer({ groupId: `${tag}-tap`, maxWaitTimeInMs: 100 });
    await startGroupAtEnd(kafka, `${tag}-tap`, UPLINK_TOPIC);
    await tap.connect();
    await tap.subscribe({ topic: UPLINK_TOPIC, fromBeginning: true });
    await tap.run({
      eachMessage: async ({ message }) => {
        if (header(message, HEADERS.instance) === instanceId) direct.push(Date.now() - Number(header(message, HEADERS.ts)));
      },
    });
    await waitFor(() => joined, { timeoutMs: 60_000, what: 'router joined' });

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const total = RATE * SECONDS;
    const tick = 10; // ms: RATE/100 records every 10 ms, like many devices publishing independently
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const t0 = Date.now();
    for (let sent = 0; sent < total; sent += perTick) {
      const ts = Date.now();
      const messages = [];
      for (let j = sent; j < Math.min(total, sent + perTick); j++) {
        messages.push(buildUplinkRecord({ instanceId, clientId: `GID_lat@@@d${j % 100}`, topic: `telemetry/d${j % 100}`, qos: 1, retain: false, payload: Buffer.from(`{"seq":${j},"t":21.5}`), ts }, 'latency'));
      }
      // Not awaited before the next tick: a device does not wait for others.
      void producer.send({ topic: UPLINK_TOPIC, acks: -1, messages });
      const due = t0 + ((sent + perTick) / RATE) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    await waitFor(() => latencies.length >= total, { timeoutMs: 60_000, what: `all ${total} routed (have ${latencies.length})` });
    const sorted = [...latencies].sort((a, b) => a - b);
    const line = `router latency at ${RATE} msg/s for ${SECONDS} s (${total} records, 100 clients): median ${percentile(sorted, 50)} ms, p90 ${percentile(sorted, 90)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms`;
    const tapped = [...direct].sort((a, b) => a - b);
    process.stdout.write(`${line}\n`);
    process.stdout.write(`same records read directly from fleetmq.uplink: median ${percentile(tapped, 50)} ms, p99 ${percentile(tapped, 99)} ms\n`);
    expect(latencies.length).toBe(total);

    await producer.disconnect();
    await backend.disconnect();
    await tap.disconnect();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await ds.destroy();
    await dropSchema(schema);
  }, 180_000);
});
