import request from 'supertest';
import { createMessaging, type ControlCommand, type DownlinkMessage, type Messaging } from '#messaging';
import { pino } from 'pino';
import { startConsoleMessaging } from '../../apps/console/src/messaging/console-messaging.js';
import { tokenHashOf } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { bearer, startConsole, type ConsoleTestApp } from './console-test-app.js';

/**
 * Messages and control commands through the real #messaging implementation: Kafka when the
 * test run has brokers (KAFKA_BROKERS), else the in-process bus.
 */
describe('console: messages and control commands over #messaging', () => {
  let t: ConsoleTestApp;
  let messaging: Messaging;
  let I: string;
  let instanceId: string;
  const downlink: DownlinkMessage[] = [];
  const control: ControlCommand[] = [];

  beforeAll(async () => {
    const brokers = process.env.KAFKA_BROKERS;
    const logger = pino({ level: 'silent' });
    messaging = createMessaging(
      {
        role: 'console', nodeId: `console-e2e-${Date.now()}`, kafkaBrokers: brokers ? brokers.split(',') : undefined,
        kafkaPartitions: 3, kafkaReplicationFactor: 1, kafkaCreateTopics: true,
        uplink: { thread: 'worker', lingerMs: 2, maxBatchRecords: 100, maxQueuedRecords: 1000, maxQueuedQos0: 1000 },
      },
      logger,
    );
    await messaging.start();
    // What a gateway node would receive.
    await messaging.downlinkSource().start((m) => {
      downlink.push(m);
    });
    await messaging.control().start((c) => {
      control.push(c);
    });
    t = await startConsole('cmsg', {}, { messaging: await startConsoleMessaging(messaging) });
    instanceId = (await request(t.server).post('/api/v1/instances').set(bearer).send({ name: 'msg' }).expect(201)).body.id;
    I = `/api/v1/instances/${instanceId}`;
    await request(t.server).post(`${I}/topics`).set(bearer).send({ name: 'cmd' }).expect(201);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await messaging?.stop();
  });

  it('delivers a P2P message to the downlink consumers with the msgId it answered', async () => {
    const res = await request(t.server)
      .post(`${I}/messages`)
      .set(bearer)
      .send({ topic: 'cmd/p2p/GID_a@@@dev1', payload: 'AQID', encoding: 'base64', qos: 1 })
      .expect(202);
    const got = await waitFor(() => downlink.find((m) => m.msgId === res.body.msgId), { timeoutMs: 20_000 });
    expect(got).toMatchObject({ instanceId, topic: 'cmd/p2p/GID_a@@@dev1', qos: 1, retain: false, targetClientId: 'GID_a@@@dev1' });
    expect(Buffer.from(got.payload).equals(Buffer.from([1, 2, 3]))).toBe(true);
  });

  it('delivers a batch in order', async () => {
    const res = await request(t.server)
      .post(`${I}/messages/batch`)
      .set(bearer)
      .send({ messages: [{ topic: 'cmd/x', payload: 'one' }, { topic: 'cmd/x', payload: 'two' }, { topic: 'cmd/x', payload: 'three' }] })
      .expect(202);
    const ids = res.body.msgIds as string[];
    await waitFor(() => ids.every((id) => downlink.some((m) => m.msgId === id)), { timeoutMs: 20_000 });
    const seen = downlink.filter((m) => ids.includes(m.msgId)).map((m) => Buffer.from(m.payload).toString());
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('publishes kick and token-revoked on the control channel', async () => {
    await request(t.server).post(`${I}/clients/GID_a@@@dev1/kick`).set(bearer).expect(202);
    await waitFor(() => control.find((c) => c.type === 'kick' && c.instanceId === instanceId), { timeoutMs: 20_000 });
    const key = (await request(t.server).post(`${I}/access-keys`).set(bearer).send({ permission: 'ALL' }).expect(201)).body;
    const token = (
      await request(t.server).post(`${I}/tokens`).set(bearer).send({ resources: ['cmd/#'], actions: 'R', expireTime: Date.now() + 60_000, accessKeyId: key.accessKeyId }).expect(201)
    ).body.token;
    await request(t.server).post(`${I}/tokens/revoke`).set(bearer).send({ token }).expect(200);
    const revoked = await waitFor(() => control.find((c) => c.type === 'token-revoked' && c.instanceId === instanceId), { timeoutMs: 20_000 });
    expect(revoked).toMatchObject({ tokenHash: tokenHashOf(token) });
  });
});
