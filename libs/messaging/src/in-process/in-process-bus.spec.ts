import { pino } from 'pino';
import { createMessaging, type MessagingConfig } from '../create-messaging.js';
import { MessagingStoppedError } from '../errors.js';
import type { ControlCommand, DownlinkMessage, PresenceEvent, UplinkRecord } from '../types.js';
import { InProcessBus } from './in-process-bus.js';
import { InProcessMessaging } from './in-process-messaging.js';

const logger = pino({ level: 'silent' });
const config: MessagingConfig = {
  role: 'all-in-one',
  nodeId: 'node-a',
  kafkaBrokers: undefined,
  kafkaPartitions: 6,
  kafkaReplicationFactor: 1,
  kafkaCreateTopics: true,
  uplink: { thread: 'main', lingerMs: 2, maxBatchRecords: 100, maxQueuedRecords: 100, maxQueuedQos0: 100 },
};

describe('createMessaging', () => {
  it('falls back to the in-process bus, loudly, without brokers', () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const m = createMessaging(config, log);
    expect(m.kind).toBe('in-process');
    expect(warnings.join('')).toMatch(/NO KAFKA CONFIGURED/);
  });

  it('picks Kafka when brokers are given (without connecting yet)', () => {
    const m = createMessaging({ ...config, kafkaBrokers: ['127.0.0.1:1'] }, logger);
    expect(m.kind).toBe('kafka');
  });
});

describe('InProcessBus', () => {
  it('acknowledges uplink at once and hands records to in-process consumers', async () => {
    const bus = new InProcessBus(logger, 'node-a');
    const m = new InProcessMessaging(logger, 'node-a', bus);
    const seen: UplinkRecord[] = [];
    bus.onUplink((r) => seen.push(r));
    const uplink = m.uplink();
    expect(m.uplink()).toBe(uplink);
    await uplink.start();
    const err = await new Promise<Error | undefined>((resolve) =>
      uplink.send({ instanceId: 'default', clientId: 'c', topic: 't', qos: 1, retain: false, payload: Buffer.from('x') }, resolve),
    );
    expect(err).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ clientId: 'c', nodeId: 'node-a', msgId: expect.any(String), ts: expect.any(Number) });
    expect(uplink.isSaturated()).toBe(false);
    expect(uplink.uplinkCounters.produced).toBe(1);
    await m.stop();
    const after = await new Promise<Error | undefined>((resolve) =>
      uplink.send({ instanceId: 'default', clientId: 'c', topic: 't', qos: 1, retain: false, payload: Buffer.alloc(0) }, resolve),
    );
    expect(after).toBeInstanceOf(MessagingStoppedError);
  });

  it('delivers downlink to every started source, in order, and not after stop', async () => {
    const m = new InProcessMessaging(logger, 'n');
    const a: DownlinkMessage[] = [];
    const b: string[] = [];
    const sourceA = m.downlinkSource();
    const sourceB = m.downlinkSource();
    await sourceA.start(async (msg) => {
      await new Promise((r) => setTimeout(r, 1)); // a slow handler must not reorder
      a.push(msg);
    });
    await sourceB.start((msg) => void b.push(msg.payload.toString()));
    const ids = await m.downlinkSink().publishMany(
      ['1', '2', '3'].map((p) => ({ instanceId: 'default', topic: 'cmd/x', qos: 1 as const, retain: false, payload: Buffer.from(p) })),
    );
    const single = await m.downlinkSink().publish({ instanceId: 'default', topic: 'cmd/x', qos: 0, retain: false, payload: Buffer.from('4'), msgId: 'mine' });
    expect(single).toBe('mine');
    await m.bus.idle();
    expect(a.map((x) => x.payload.toString())).toEqual(['1', '2', '3', '4']);
    expect(a.map((x) => x.msgId)).toEqual([...ids, 'mine']);
    expect(b).toEqual(['1', '2', '3', '4']);
    await sourceB.stop();
    await m.downlinkSink().publish({ instanceId: 'default', topic: 'cmd/x', qos: 0, retain: false, payload: Buffer.from('5') });
    await m.bus.idle();
    expect(b).toHaveLength(4);
    expect(a).toHaveLength(5);
  });

  it('gives every control channel every command, stamped with a time, and survives a failing handler', async () => {
    const m = new InProcessMessaging(logger, 'n');
    const gateway: ControlCommand[] = [];
    const router: ControlCommand[] = [];
    const g = m.control('gateway');
    await g.start(() => {
      throw new Error('boom');
    });
    const g2 = m.control('gateway2');
    await g2.start((c) => void gateway.push(c));
    const r = m.control('rule-router');
    await r.start((c) => void router.push(c));
    await r.publish({ type: 'kick', instanceId: 'fmq-1', clientId: 'GID_a@@@b' });
    await g.publish({ type: 'rules-changed', instanceId: 'fmq-1', ts: 5 });
    await m.bus.idle();
    expect(gateway.map((c) => c.type)).toEqual(['kick', 'rules-changed']);
    expect(router).toEqual(gateway);
    expect(gateway[0]!.ts).toEqual(expect.any(Number));
    expect(gateway[1]!.ts).toBe(5);
  });

  it('passes presence events to listeners', () => {
    const bus = new InProcessBus(logger);
    const m = new InProcessMessaging(logger, 'n', bus);
    const events: PresenceEvent[] = [];
    const off = bus.onPresence((e) => events.push(e));
    const e: PresenceEvent = { instanceId: 'i', clientId: 'c', event: 'connect', reason: null, node: 'n', remoteAddress: null, ts: 1, epoch: 1 };
    m.presence().publish(e);
    off();
    m.presence().publish(e);
    expect(events).toEqual([e]);
  });
});
