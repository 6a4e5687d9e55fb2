import request from 'supertest';
import { loadConfig } from '#config';
import { createMessaging, type Messaging } from '#messaging';
import { pino } from 'pino';
import { startConsole, type ConsoleTestApp } from './console-test-app.js';

// GET /health/live and /health/ready over a real PostgreSQL schema and a real Kafka (the test
// broker), and a Kafka that is not there (a closed port): readiness names the dependency that fails.
const brokers = process.env.KAFKA_BROKERS;
const describeWithKafka = brokers ? describe : describe.skip;

describeWithKafka('console: liveness and readiness', () => {
  const logger = pino({ level: 'silent' });
  const messagingOn = (kafkaBrokers: string): Messaging =>
    createMessaging(loadConfig('console', { DATABASE_URL: 'postgres://x@127.0.0.1/x', FLEETMQ_ADMIN_TOKEN: 'x'.repeat(16), FLEETMQ_MASTER_KEY: 'ab'.repeat(32), KAFKA_BROKERS: kafkaBrokers, FLEETMQ_KAFKA_CREATE_TOPICS: 'false' }), logger);
  let kafka: Messaging;
  let noKafka: Messaging;
  let up: ConsoleTestApp;
  let kafkaDown: ConsoleTestApp;

  beforeAll(async () => {
    kafka = messagingOn(brokers!);
    noKafka = messagingOn('127.0.0.1:1'); // nothing listens on port 1
    up = await startConsole('hready', {}, { readinessChecks: [{ name: 'kafka', check: () => kafka.ping() }] });
    kafkaDown = await startConsole('hnokafka', {}, { readinessChecks: [{ name: 'kafka', check: () => noKafka.ping() }] });
  });
  afterAll(async () => {
    await up?.close();
    await kafkaDown?.close();
    await kafka?.stop();
    await noKafka?.stop();
  });

  it('is ready when the database and Kafka answer', async () => {
    const res = await request(up.server).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.database.status).toBe('up');
    expect(res.body.checks.kafka.status).toBe('up');
  });

  it('is not ready, naming Kafka, when Kafka does not answer; live all the same', async () => {
    const res = await request(kafkaDown.server).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not-ready');
    expect(res.body.checks.database.status).toBe('up');
    expect(res.body.checks.kafka.status).toBe('down');
    expect(res.body.checks.kafka.error).toEqual(expect.any(String));
    expect((await request(kafkaDown.server).get('/health/live')).body).toEqual({ status: 'live' });
  });

  it('is not ready, naming the database, when the database is gone; live all the same', async () => {
    await up.dataSource.destroy();
    const res = await request(up.server).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.database.status).toBe('down');
    expect(res.body.checks.kafka.status).toBe('up');
    expect((await request(up.server).get('/health/live')).status).toBe(200);
  });
});
