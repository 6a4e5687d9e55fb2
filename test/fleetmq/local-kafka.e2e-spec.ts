import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AllInOneProcess, allInOneEnv, freeAllInOnePorts, removeDataDir } from '../helpers/fleetmq-process.js';

// `npm start` without KAFKA_BROKERS: FleetMQ runs tools/kafka itself, in its own home folder here
// (FLEETMQ_KAFKA_HOME), never touching the shared test broker. Long (two JVM starts): only with
// FLEETMQ_LONG_RELIABILITY=1 (part of npm run test:reliability), and Java.
const LONG = process.env.FLEETMQ_LONG_RELIABILITY === '1';
const java = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
if (!LONG) process.stderr.write('[local-kafka] skipped: set FLEETMQ_LONG_RELIABILITY=1 (it starts a Kafka of its own, twice)\n');
else if (!java) process.stderr.write('[local-kafka] skipped: no java for tools/kafka\n');
const describeLong = LONG && java ? describe : describe.skip;

const kafkaPid = (home: string): number => Number(/^KAFKA_PID=(\d+)$/m.exec(readFileSync(join(home, 'state.env'), 'utf8'))?.[1]);
/** Running: exists and is not a zombie (the broker is re-parented to init, which reaps it when it gets to it). */
const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describeLong('npm start with its own local Kafka', () => {
  let folder: string;
  let home: string;
  const env = async (): Promise<NodeJS.ProcessEnv> => {
    const variables = allInOneEnv(join(folder, '.fleetmq'), await freeAllInOnePorts(), { LOG_LEVEL: 'info', FLEETMQ_KAFKA_HOME: home, FLEETMQ_KAFKA_HEAP: '384m' });
    delete variables.KAFKA_BROKERS;
    return variables;
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fleetmq-localkafka-'));
    home = join(folder, 'kafka-home');
  });
  afterAll(async () => {
    spawnSync('bash', [resolve('tools/kafka/stop.sh'), '--kill'], { env: { ...process.env, FLEETMQ_KAFKA_HOME: home } });
    await removeDataDir(join(folder, '.fleetmq'));
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it('starts a fresh Kafka without error lines, and Ctrl-C stops that Kafka', async () => {
    const fleetmq = AllInOneProcess.start(await env());
    await fleetmq.waitForOutput('FleetMQ ready', 240_000);
    const pid = kafkaPid(home);
    expect(alive(pid)).toBe(true);
    // A fresh broker elects leaders and loads coordinators while FleetMQ starts: transients, not errors.
    expect(fleetmq.output.split('\n').filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    expect(fleetmq.output).not.toContain('partitioner');
    fleetmq.child.kill('SIGINT');
    expect(await fleetmq.waitForExit(60_000)).toBe(130);
    expect(fleetmq.output).toContain(`FleetMQ: stopping the local Kafka this start started`);
    expect(alive(pid)).toBe(false);
  }, 360_000);

  it('leaves a Kafka it only reused running, and says so on exit', async () => {
    const started = spawnSync('bash', [resolve('tools/kafka/start.sh')], { env: { ...process.env, FLEETMQ_KAFKA_HOME: home, FLEETMQ_KAFKA_HEAP: '384m' }, encoding: 'utf8', timeout: 240_000 });
    expect(started.stdout).toContain('KAFKA_STARTED=true');
    const pid = kafkaPid(home);
    const fleetmq = AllInOneProcess.start(await env());
    await fleetmq.waitForOutput('FleetMQ ready', 240_000);
    fleetmq.child.kill('SIGINT');
    expect(await fleetmq.waitForExit(60_000)).toBe(130);
    expect(fleetmq.output).toMatch(/FleetMQ: the local Kafka at 127\.0\.0\.1:\d+ was running before this start and keeps running \(stop it with: npm run kafka:stop\)/);
    expect(alive(pid)).toBe(true);
    expect(existsSync(join(home, 'state.env'))).toBe(true);
  }, 360_000);
});
