// Compatibility check of a broker with the kafkajs version in node_modules: admin createTopics,
// produce (acks -1, a batch), consume back in a consumer group, commit and re-join.
// Usage: node tools/kafka/check-kafkajs.mjs <host:port>    exit 0 = every step passed
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const broker = process.argv[2];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { Kafka, logLevel } = createRequire(path.join(repoRoot, 'package.json'))('kafkajs');
const kafka = new Kafka({ clientId: 'fleetmq-compat', brokers: [broker], logLevel: logLevel.ERROR, retry: { retries: 2 } });
const topic = `compat-${Date.now()}`;
const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    const r = await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    return r;
  } catch (e) {
    console.log(`FAIL ${name}: ${e.name}: ${e.message}`);
    process.exit(1);
  }
};
const timeout = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms));

const admin = kafka.admin();
await step('admin.connect', () => admin.connect());
await step('admin.createTopics (6 partitions)', () => admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true }));
await step('admin.fetchTopicMetadata', async () => {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  if (md.topics[0].partitions.length !== 6) throw new Error('expected 6 partitions');
});
const producer = kafka.producer({ allowAutoTopicCreation: false });
await step('producer.connect', () => producer.connect());
const N = 100;
await step(`producer.sendBatch ${N} records acks=-1`, () =>
  producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: Array.from({ length: N }, (_, i) => ({ key: `k${i % 7}`, value: String(i), headers: { h: 'v' } })) }] }));
const consumer = kafka.consumer({ groupId: `${topic}-g`, sessionTimeout: 10000, heartbeatInterval: 1000 });
await step('consumer.connect + subscribe', async () => { await consumer.connect(); await consumer.subscribe({ topic, fromBeginning: true }); });
const seen = new Set();
await step(`consumer group receives ${N} records (join, sync, fetch, commit)`, () => Promise.race([
  new Promise((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => {
      if (message.headers.h?.toString() !== 'v') reject(new Error('header lost'));
      seen.add(message.value.toString());
      if (seen.size === N) resolve();
    } }).catch(reject);
  }),
  timeout(30000, 'consume'),
]));
// stop() lets the running batch finish, so the last offset is resolved before the commit
await step('consumer.stop + disconnect (commits)', async () => { await consumer.stop(); await consumer.disconnect(); });
await step('admin.fetchOffsets of the group', async () => {
  const offsets = await admin.fetchOffsets({ groupId: `${topic}-g`, topics: [topic] });
  const total = offsets[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) // -1 = nothing committed;
  if (total !== N) throw new Error(`committed ${total}, expected ${N}`);
});
await step('admin.fetchTopicOffsets + ByTimestamp (ListOffsets)', async () => {
  const o = await admin.fetchTopicOffsets(topic);
  if (o.reduce((s, p) => s + Number(p.high), 0) !== N) throw new Error('high watermarks do not add up');
  await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60000);
});
await step('admin.describeGroups + listGroups', async () => {
  const d = await admin.describeGroups([`${topic}-g`]);
  if (d.groups[0].errorCode !== 0) throw new Error(`describeGroups error ${d.groups[0].errorCode}`);
  const l = await admin.listGroups();
  if (!l.groups.some((g) => g.groupId === `${topic}-g`)) throw new Error('group not listed');
});
await step('admin.setOffsets + resetOffsets', async () => {
  await admin.setOffsets({ groupId: `${topic}-g`, topic, partitions: [{ partition: 0, offset: '0' }] });
  await admin.resetOffsets({ groupId: `${topic}-g`, topic, earliest: false });
});
await step('producer.send gzip', async () => {
  const { CompressionTypes } = createRequire(path.join(repoRoot, 'package.json'))('kafkajs');
  await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'z', value: 'zipped' }] });
});
await step('consumer from latest sees only new records', async () => {
  const c2 = kafka.consumer({ groupId: `${topic}-latest` });
  await c2.connect();
  await c2.subscribe({ topic, fromBeginning: false });
  const got = [];
  let joined;
  const isJoined = new Promise((r) => { joined = r; });
  c2.on(c2.events.GROUP_JOIN, () => joined());
  const done = new Promise((resolve) => c2.run({ eachMessage: async ({ message }) => { got.push(message.value.toString()); if (message.value.toString() === 'late') resolve(); } }));
  await Promise.race([isJoined, timeout(20000, 'join')]);
  await new Promise((r) => setTimeout(r, 500));
  await producer.send({ topic, acks: -1, messages: [{ key: 'late', value: 'late' }] });
  await Promise.race([done, timeout(20000, 'late record')]);
  await c2.disconnect();
  if (got.length !== 1) throw new Error(`got ${got.length} records, expected only the late one`);
});
await step('admin.deleteTopics', () => admin.deleteTopics({ topics: [topic] }));
await producer.disconnect();
await admin.disconnect();
console.log('all steps passed');
