import { jest } from '@jest/globals';
import { createLogger } from '#config';
import { HEADERS, headerText, keyText, UplinkProducer } from '#messaging';
import { FakeKafka } from '#messaging/testing';
import type { ClientContext, UplinkPublish } from '../gateway.ports.js';
import { TrafficCounters } from '../state/traffic-counters.js';
import { BridgeMetrics } from './bridge.metrics.js';
import { KafkaPublishForwarder } from './kafka-publish-forwarder.js';

const logger = createLogger('silent');
const ctx = { instanceId: 'fmq-abc123', clientId: 'GID_a@@@d1' } as ClientContext;
const pub = (qos: 0 | 1 | 2, n = 0): UplinkPublish => ({ topic: 'telemetry/x', payload: Buffer.from(`m${n}`), qos, retain: false, will: false });
const tick = () => new Promise((r) => setTimeout(r, 5));

function setup(maxQueuedRecords = 100) {
  const kafka = new FakeKafka();
  kafka.mode = 'manual';
  const sink = new UplinkProducer({
    createProducer: kafka.factory, logger, nodeId: 'n1', lingerMs: 0, maxBatchRecords: 10,
    maxQueuedRecords, maxQueuedQos0: 3, backoff: { initialMs: 1, maxMs: 2 },
  });
  const traffic = new TrafficCounters();
  const forwarder = new KafkaPublishForwarder(sink, new BridgeMetrics(), traffic, logger);
  return { kafka, sink, forwarder, traffic };
}

describe('KafkaPublishForwarder', () => {
  it('calls done for QoS 1 only after Kafka acknowledged the record', async () => {
    const { kafka, sink, forwarder, traffic } = setup();
    await sink.start();
    const done = jest.fn();
    forwarder.forward(ctx, pub(1), done);
    await tick();
    expect(kafka.pending).toHaveLength(1);
    expect(done).not.toHaveBeenCalled();
    const record = kafka.pending[0]!.messages[0]!;
    expect(keyText(record.key as Buffer)).toBe('fmq-abc123/GID_a@@@d1');
    expect(headerText(record.headers, HEADERS.topic)).toBe('telemetry/x');
    kafka.pending.shift()!.resolve();
    await tick();
    expect(done).toHaveBeenCalledWith();
    expect(traffic.of('fmq-abc123').messagesIn).toBe(1);
    await sink.stop(10);
  });

  it('acknowledges QoS 0 at once and drops it when its queue is full', async () => {
    const { kafka, sink, forwarder } = setup();
    await sink.start();
    const done = jest.fn();
    for (let i = 0; i < 6; i++) forwarder.forward(ctx, pub(0, i), done);
    expect(done).toHaveBeenCalledTimes(6);
    await tick();
    const sent = kafka.pending.flatMap((p) => p.messages).length;
    expect(sent).toBeLessThan(6);
    kafka.mode = 'ack';
    for (const p of kafka.pending.splice(0)) p.resolve();
    await sink.stop(100);
  });

  it('holds QoS 0 acknowledgements while the producer is saturated, releases them on resume', async () => {
    const { kafka, sink, forwarder } = setup(2);
    await sink.start();
    const q1 = jest.fn();
    forwarder.forward(ctx, pub(1, 1), q1);
    forwarder.forward(ctx, pub(1, 2), q1);
    const q0 = jest.fn();
    forwarder.forward(ctx, pub(0, 3), q0);
    expect(q0).not.toHaveBeenCalled();
    kafka.mode = 'ack';
    await tick();
    for (const p of kafka.pending.splice(0)) p.resolve();
    await tick();
    expect(q1).toHaveBeenCalledTimes(2);
    expect(q0).toHaveBeenCalledTimes(1);
    await sink.stop(100);
  });

  it('fails QoS 1 when the producer stops before Kafka acknowledged it (no PUBACK)', async () => {
    const { sink, forwarder } = setup();
    await sink.start();
    const done = jest.fn();
    forwarder.forward(ctx, pub(1), done);
    await sink.stop(20);
    expect(done).toHaveBeenCalledWith(expect.any(Error));
  });
});
