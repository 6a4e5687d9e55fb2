import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './repo.js';

const run = promisify(execFile);

/** The first lookup's answer: the runner asks before its warm-up and again when a FleetMQ target starts. */
let brokers: Promise<string> | undefined;

/**
 * `KAFKA_BROKERS`, or the broker `tools/kafka/start.sh` starts (or finds already running);
 * looked up once per process.
 */
export function benchKafkaBrokers(log: (line: string) => void): Promise<string> {
  brokers ??= lookUpBrokers(log);
  return brokers;
}

async function lookUpBrokers(log: (line: string) => void): Promise<string> {
  const given = process.env.KAFKA_BROKERS;
  if (given) return given;
  log('starting (or reusing) the local Kafka via tools/kafka/start.sh');
  const { stdout } = await run('bash', [join(REPO_ROOT, 'tools/kafka/start.sh')], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const m = /KAFKA_BROKERS=(\S+)\s*$/.exec(stdout.trim());
  if (!m) throw new Error(`tools/kafka/start.sh printed no KAFKA_BROKERS line:\n${stdout.slice(-2000)}`);
  return m[1]!;
}
