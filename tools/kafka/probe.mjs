// Readiness probe for start.sh: succeeds when the broker answers a metadata request through
// kafkajs (the client FleetMQ uses), which is stricter than an open port.
// Usage: node probe.mjs <host:port> [timeoutMs]   exit 0 = ready, 1 = not ready, 2 = no kafkajs
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const [broker, timeoutArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg ?? 3000);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let kafkajs;
try {
  kafkajs = createRequire(path.join(repoRoot, 'package.json'))('kafkajs');
} catch {
  process.exit(2);
}
const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({
  clientId: 'fleetmq-kafka-probe',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: Math.min(timeoutMs, 1000),
  requestTimeout: timeoutMs,
  retry: { retries: 0 },
});
const admin = kafka.admin();
const timer = setTimeout(() => process.exit(1), timeoutMs + 500);
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length === 0 || cluster.controller === null) process.exit(1);
  await admin.disconnect();
  clearTimeout(timer);
  process.exit(0);
} catch {
  process.exit(1);
}
