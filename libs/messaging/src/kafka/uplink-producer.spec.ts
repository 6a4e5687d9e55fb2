import { pino } from 'pino';
import { MessagingStoppedError, QueueFullError, RecordRejectedError } from '../errors.js';
import type { Message } from 'kafkajs';
import { headerText, keyText } from '../codec/record.js';
import { HEADERS } from '../headers.js';
import { partitionOfKey } from '../partition.js';
import { PRODUCER_EVENTS } from '../messaging.events.js';
import { FakeKafka } from '../testing/fake-producer.js';
import type { Qos, UplinkMessage } from '../types.js';
import { UplinkProducer, type UplinkProducerOptions } from './uplink-producer.js';

const logger = pino({ level: 'silent' });
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(1);
  }
}

/** Settles produce attempts until `done()`: a batch holding the record valued `refused` gets `error`, any other is acknowledged. */
async function settleRefusing(kafka: FakeKafka, done: () => boolean, refused: string, error: Error): Promise<void> {
  for (;;) {
    await until(() => kafka.pending.length > 0 || done());
    const p = kafka.pending.shift();
    if (p === undefined) return;
    if (p.messages.some((m) => String(m.value) === refused)) p.reject(error);
    else p.resolve();
  }
}

function msg(i: number, qos: Qos = 1, clientId = 'GID_a@@@d1', payload?: Buffer): UplinkMessage {
  return { instanceId: 'fmq-abc123', clientId, topic: 't/x', qos, retain: false, payload: payload ?? Buffer.from(String(i)) };
}

function setup(overrides: Partial<UplinkProducerOptions> = {}) {
  const kafka = new FakeKafka();
  const producer = new UplinkProducer({
    createProducer: kafka.factory,
    logger,
    nodeId: 'node-1',
    lingerMs: 2,
    maxBatchRecords: 100,
    maxQueuedRecords: 1000,
    maxQueuedQos0: 1000,
    backoff: { initialMs: 1, maxMs: 5, jitter: 0 },
    ...overrides,
  });
  const results = new Map<number, Error | null>();
  const send = (i: number, qos: Qos = 1, clientId?: string, payload?: Buffer): void =>
    producer.send(msg(i, qos, clientId, payload), (err) => {
      if (results.has(i)) throw new Error(`done called twice for ${i}`);
      results.set(i, err ?? null);
    });
  return { kafka, producer, results, send };
}

describe('UplinkProducer', () => {
  it('builds the uplink record and acknowledges only after Kafka did', async () => {
    const { kafka, producer, results, send } = setup();
    kafka.mode = 'manual';
    await producer.start();
    send(1);
    await until(() => kafka.pending.length === 1);
    const record = kafka.pending[0]!.messages[0]!;
    expect(keyText(record.key as Buffer)).toBe('fmq-abc123/GID_a@@@d1');
    expect(record.value).toEqual(Buffer.from('1'));
    const header = (name: string): string | undefined => headerText(record.headers, name);
    expect(header(HEADERS.instance)).toBe('fmq-abc123');
    expect(header(HEADERS.client)).toBe('GID_a@@@d1');
    expect(header(HEADERS.topic)).toBe('t/x');
    expect(header(HEADERS.qos)).toBe('1');
    expect(header(HEADERS.retain)).toBe('false');
    expect(header(HEADERS.node)).toBe('node-1');
    expect(header(HEADERS.msgId)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Math.abs(Number(header(HEADERS.ts)) - Date.now())).toBeLessThan(5_000);
    await tick(10);
    expect(results.size).toBe(0);
    kafka.pending.shift()!.resolve();
    await until(() => results.size === 1);
    expect(results.get(1)).toBeNull();
    expect(producer.uplinkCounters).toMatchObject({ produced: 1, batches: 1, queued: 0, inFlight: 0 });
    await producer.stop();
  });

  it('keeps one batch in flight and the send order across batches', async () => {
    const { kafka, producer, results, send } = setup({ maxBatchRecords: 7 });
    await producer.start();
    for (let i = 0; i < 100; i++) send(i, i % 3 === 0 ? 0 : 1);
    await until(() => results.size === 100);
    expect(kafka.maxInFlight).toBe(1);
    expect(kafka.ackedValues()).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(Math.max(...kafka.sent.map((s) => s.messages.length))).toBeLessThanOrEqual(7);
    expect([...results.values()].every((e) => e === null)).toBe(true);
    await producer.stop();
  });

  it('accumulates records that arrive while a batch is in flight into the next batch', async () => {
    const { kafka, producer, send } = setup({ lingerMs: 0 });
    kafka.mode = 'manual';
    await producer.start();
    send(0);
    await until(() => kafka.pending.length === 1);
    for (let i = 1; i <= 5; i++) send(i);
    await tick(5);
    expect(kafka.pending).toHaveLength(1);
    kafka.pending[0]!.resolve();
    await until(() => kafka.pending.length === 2);
    expect(kafka.pending[1]!.messages.map((m) => String(m.value))).toEqual(['1', '2', '3', '4', '5']);
    kafka.pending[1]!.resolve();
    await producer.stop();
  });

  it('splits batches by bytes', async () => {
    const { kafka, producer, results, send } = setup({ maxBatchBytes: 1000 });
    await producer.start();
    for (let i = 0; i < 10; i++) send(i, 1, 'c', Buffer.alloc(300, i));
    await until(() => results.size === 10);
    expect(kafka.sent.map((s) => s.messages.length)).toEqual([3, 3, 3, 1]);
    await producer.stop();
  });

  it('retries a failed batch as a whole, ahead of newer records, on a new producer', async () => {
    const { kafka, producer, results, send } = setup();
    kafka.mode = 'fail';
    const events: string[] = [];
    producer.on(PRODUCER_EVENTS.unavailable, () => events.push('unavailable'));
    producer.on(PRODUCER_EVENTS.recovered, () => events.push('recovered'));
    await producer.start();
    for (let i = 0; i < 5; i++) send(i);
    await until(() => kafka.sent.length >= 4);
    for (let i = 5; i < 10; i++) send(i);
    await tick(10);
    expect(results.size).toBe(0);
    expect(producer.isUnavailable()).toBe(true);
    // every attempt so far re-sent exactly the first batch
    for (const attempt of kafka.sent) expect(attempt.messages.map((m) => String(m.value))).toEqual(['0', '1', '2', '3', '4']);
    expect(kafka.created).toBeGreaterThanOrEqual(4);
    kafka.mode = 'ack';
    await until(() => results.size === 10);
    expect(kafka.ackedValues()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(events).toEqual(['unavailable', 'recovered']);
    expect(producer.uplinkCounters.failedAttempts).toBeGreaterThanOrEqual(4);
    expect(producer.isUnavailable()).toBe(false);
    await producer.stop();
  });

  it('treats "producer is disconnected" and failed connects alike: retried, never acknowledged early', async () => {
    const { kafka, producer, results, send } = setup();
    kafka.connectFails = true;
    await producer.start();
    send(1);
    await tick(20);
    expect(kafka.sent).toHaveLength(0);
    kafka.connectFails = false;
    kafka.mode = 'fail';
    kafka.failWith = () => Object.assign(new Error('The producer is disconnected'), { name: 'KafkaJSError' });
    await until(() => kafka.sent.length >= 2);
    expect(results.size).toBe(0);
    kafka.mode = 'ack';
    await until(() => results.size === 1);
    expect(results.get(1)).toBeNull();
    await producer.stop();
  });

  it('reports saturation past maxQueuedRecords and resumes under half of it', async () => {
    const { kafka, producer, results, send } = setup({ maxQueuedRecords: 4 });
    kafka.mode = 'manual';
    const events: string[] = [];
    producer.on(PRODUCER_EVENTS.saturated, () => events.push('saturated'));
    producer.on(PRODUCER_EVENTS.resumed, () => events.push('resumed'));
    await producer.start();
    for (let i = 0; i < 3; i++) send(i);
    expect(producer.isSaturated()).toBe(false);
    send(3);
    expect(producer.isSaturated()).toBe(true);
    for (let i = 4; i < 10; i++) send(i); // still accepted: QoS 1 is never dropped
    expect(producer.uplinkCounters.droppedQos0).toBe(0);
    await until(() => kafka.pending.length === 1);
    kafka.mode = 'ack';
    kafka.pending[0]!.resolve();
    await until(() => results.size === 10);
    expect(events).toEqual(['saturated', 'resumed']);
    expect(producer.isSaturated()).toBe(false);
    await producer.stop();
  });

  it('drops QoS 0 beyond maxQueuedQos0 and counts it, QoS 1 is kept', async () => {
    const { kafka, producer, results, send } = setup({ maxQueuedQos0: 3 });
    kafka.mode = 'fail';
    await producer.start();
    for (let i = 0; i < 6; i++) send(i, 0);
    send(100, 1);
    await until(() => results.size === 3);
    expect([...results.keys()].sort()).toEqual([3, 4, 5]);
    for (const i of [3, 4, 5]) expect(results.get(i)).toBeInstanceOf(QueueFullError);
    expect(producer.uplinkCounters.droppedQos0).toBe(3);
    kafka.mode = 'ack';
    await until(() => results.size === 7);
    expect(kafka.ackedValues()).toEqual(['0', '1', '2', '100']);
    await producer.stop();
  });

  it('isolates a record Kafka refuses and delivers the rest in order', async () => {
    const { kafka, producer, results, send } = setup();
    const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    kafka.mode = 'manual';
    await producer.start();
    for (let i = 0; i < 4; i++) send(i);
    // Kafka refuses any batch holding record 2.
    await settleRefusing(kafka, () => results.size === 4, '2', tooLarge);
    expect(kafka.ackedValues()).toEqual(['0', '1', '3']);
    expect(results.get(2)).toBeInstanceOf(RecordRejectedError);
    expect(producer.uplinkCounters.rejected).toBe(1);
    await producer.stop();
  });

  it('drains queued and in-flight records on stop, then refuses new ones', async () => {
    const { kafka, producer, results, send } = setup({ lingerMs: 50 });
    await producer.start();
    for (let i = 0; i < 5; i++) send(i);
    await producer.stop();
    expect(results.size).toBe(5);
    expect(kafka.ackedValues()).toEqual(['0', '1', '2', '3', '4']);
    send(9);
    await until(() => results.size === 6);
    expect(results.get(9)).toBeInstanceOf(MessagingStoppedError);
  });

  it('fails unacknowledged records when stop times out while Kafka is down', async () => {
    const { kafka, producer, results, send } = setup();
    kafka.mode = 'fail';
    await producer.start();
    for (let i = 0; i < 3; i++) send(i);
    await until(() => kafka.sent.length >= 1);
    await producer.stop(30);
    expect(results.size).toBe(3);
    for (const e of results.values()) expect(e).toBeInstanceOf(MessagingStoppedError);
    expect(kafka.acked).toHaveLength(0);
  });
  describe('lanes (one per partition)', () => {
    const LANES = 6;
    const partition = (m: Message): number => partitionOfKey(m.key as Buffer, LANES);
    /** Client IDs whose keys fall in partitions `a` and `b` (a != b), `n` of each. */
    const clientsIn = (a: number, b: number, n: number): [string[], string[]] => {
      const inA: string[] = [];
      const inB: string[] = [];
      for (let i = 0; inA.length < n || inB.length < n; i++) {
        const id = `GID_a@@@d${i}`;
        const p = partitionOfKey(Buffer.from(`fmq-abc123/${id}`), LANES);
        if (p === a && inA.length < n) inA.push(id);
        else if (p === b && inB.length < n) inB.push(id);
      }
      return [inA, inB];
    };

    it('sends the next batch of every lane in one request at once when idle, and what arrives meanwhile in the next', async () => {
      const { kafka, producer, results, send } = setup({ lanes: LANES, lingerMs: 0, maxBatchRecords: 3 });
      kafka.mode = 'manual';
      await producer.start();
      for (let i = 0; i < 60; i++) send(i, 1, `GID_a@@@d${i % 12}`);
      await until(() => kafka.pending.length === 1);
      const first = kafka.pending[0]!.messages;
      const lanes = new Set(first.map(partition));
      expect(lanes.size).toBeGreaterThan(1); // several lanes in one request
      for (const lane of lanes) expect(first.filter((m) => partition(m) === lane)).toHaveLength(3); // one batch each
      // Nagle: nothing else goes while the request is in flight, whatever the lane.
      for (let i = 60; i < 120; i++) send(i, 1, `GID_a@@@d${i % 12}`);
      await tick(10);
      expect(kafka.pending).toHaveLength(1);
      kafka.pending.shift()!.resolve();
      await until(() => kafka.pending.length === 1);
      expect(new Set(kafka.pending[0]!.messages.map(partition))).toEqual(lanes);
      kafka.mode = 'ack';
      kafka.pending.shift()!.resolve();
      await until(() => results.size === 120);
      expect(kafka.maxInFlight).toBe(1);
      await producer.stop();
    });

    it('with maxRequestsInFlight 2, lanes idle while a request is in flight go in a second one, never a lane twice', async () => {
      const [inP, inQ] = clientsIn(0, 3, 1);
      const { kafka, producer, results, send } = setup({ lanes: LANES, lingerMs: 0, maxRequestsInFlight: 2 });
      kafka.mode = 'manual';
      await producer.start();
      send(0, 1, inP[0]);
      await until(() => kafka.pending.length === 1);
      send(1, 1, inP[0]); // P is in flight: waits
      send(100, 1, inQ[0]); // Q is idle and a slot is free: goes
      await until(() => kafka.pending.length === 2);
      expect(kafka.pending[1]!.messages.map((m) => String(m.value))).toEqual(['100']);
      send(101, 1, inQ[0]); // both slots taken
      await tick(10);
      expect(kafka.pending).toHaveLength(2);
      kafka.pending.shift()!.resolve();
      await until(() => kafka.pending.length === 2);
      expect(kafka.pending[1]!.messages.map((m) => String(m.value))).toEqual(['1']); // Q is still in flight
      kafka.mode = 'ack';
      for (const p of kafka.pending.splice(0)) p.resolve();
      await until(() => results.size === 4);
      expect(kafka.ackedValues().filter((v) => Number(v) >= 100)).toEqual(['100', '101']);
      expect(kafka.maxInFlight).toBe(2);
      await producer.stop();
    });

    it('keeps each client in order across lanes and batches', async () => {
      const { kafka, producer, results, send } = setup({ lanes: LANES, maxBatchRecords: 5 });
      await producer.start();
      const order: number[] = [];
      for (let i = 0; i < 500; i++) {
        producer.send(msg(i, 1, `GID_a@@@d${i % 17}`), (err) => {
          expect(err).toBeUndefined();
          order.push(i);
        });
      }
      void send;
      await until(() => order.length === 500);
      expect(results.size).toBe(0);
      for (let c = 0; c < 17; c++) {
        const acked = kafka.ackedValues().map(Number).filter((v) => v % 17 === c);
        expect(acked).toEqual([...acked].sort((x, y) => x - y));
        const done = order.filter((v) => v % 17 === c);
        expect(done).toEqual([...done].sort((x, y) => x - y));
      }
      expect(kafka.maxInFlight).toBe(1);
      await producer.stop();
    });

    it('a failed request is retried lane by lane; a failing partition P blocks only P, retried whole, ahead of newer P records', async () => {
      const [inP, inQ] = clientsIn(1, 4, 2);
      const { kafka, producer, results, send } = setup({ lanes: LANES });
      kafka.mode = 'manual';
      const events: string[] = [];
      producer.on(PRODUCER_EVENTS.unavailable, () => events.push('unavailable'));
      producer.on(PRODUCER_EVENTS.recovered, () => events.push('recovered'));
      await producer.start();
      // P: 0..3, Q: 100..103, in one request.
      for (let i = 0; i < 4; i++) send(i, 1, inP[i % 2]);
      for (let i = 100; i < 104; i++) send(i, 1, inQ[i % 2]);
      await until(() => kafka.pending.length === 1);
      expect(new Set(kafka.pending[0]!.messages.map(partition))).toEqual(new Set([1, 4]));
      kafka.pending.shift()!.reject(new Error('Connection error: ECONNRESET'));
      // Each lane is retried alone, at once.
      await until(() => kafka.pending.length === 2);
      const batchOf = (lane: number) => kafka.pending.find((p) => p.messages.every((m) => partition(m) === lane))!;
      const settle = (lane: number, ok: boolean): void => {
        const p = batchOf(lane);
        kafka.pending.splice(kafka.pending.indexOf(p), 1);
        if (ok) p.resolve();
        else p.reject(new Error('Connection error: ECONNRESET'));
      };
      expect(batchOf(1).messages.map((m) => String(m.value))).toEqual(['0', '1', '2', '3']);
      expect(batchOf(4).messages.map((m) => String(m.value))).toEqual(['100', '101', '102', '103']);
      settle(1, false);
      settle(4, true);
      await until(() => results.size === 4);
      expect([...results.keys()].sort()).toEqual([100, 101, 102, 103]);
      expect(producer.isUnavailable()).toBe(true);

      // Newer records of both partitions: Q's go at once, P's wait behind the retried batch.
      for (let i = 4; i < 8; i++) send(i, 1, inP[i % 2]);
      for (let i = 104; i < 108; i++) send(i, 1, inQ[i % 2]);
      await until(() => kafka.pending.length === 2); // P's retry (after backoff) and Q's next request
      expect(batchOf(1).messages.map((m) => String(m.value))).toEqual(['0', '1', '2', '3']);
      expect(batchOf(4).messages.map((m) => String(m.value))).toEqual(['104', '105', '106', '107']);
      // P fails again; Q is acknowledged meanwhile.
      settle(1, false);
      settle(4, true);
      await until(() => results.size === 8);
      for (let i = 0; i < 8; i++) expect(results.has(i)).toBe(false);
      expect(events).toEqual(['unavailable']); // still unavailable: P has not recovered

      // P's third attempt is the same batch again; then its newer records follow.
      await until(() => kafka.pending.length === 1);
      expect(kafka.pending[0]!.messages.map((m) => String(m.value))).toEqual(['0', '1', '2', '3']);
      kafka.mode = 'ack';
      kafka.pending.shift()!.resolve();
      await until(() => results.size === 16);
      const pAcked = kafka.ackedValues().filter((v) => Number(v) < 100);
      expect(pAcked).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect([...results.values()].every((e) => e === null)).toBe(true);
      expect(events).toEqual(['unavailable', 'recovered']);
      expect(producer.uplinkCounters).toMatchObject({ queued: 0, inFlight: 0, produced: 16 });
      await producer.stop();
    });

    it('a refused record in one lane is isolated there; the other lanes of its request are acknowledged once', async () => {
      const [inP, inQ] = clientsIn(2, 5, 1);
      const { kafka, producer, results, send } = setup({ lanes: LANES });
      const tooLarge = Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', retriable: false });
      kafka.mode = 'manual';
      await producer.start();
      for (let i = 0; i < 4; i++) send(i, 1, inP[0]);
      send(100, 1, inQ[0]);
      await settleRefusing(kafka, () => results.size === 5, '2', tooLarge);
      expect(results.get(2)).toBeInstanceOf(RecordRejectedError);
      expect(kafka.ackedValues().filter((v) => v === '100')).toHaveLength(1);
      expect(kafka.ackedValues().filter((v) => v !== '100')).toEqual(['0', '1', '3']);
      await producer.stop();
    });

    it('drains every lane on stop', async () => {
      const { kafka, producer, results, send } = setup({ lanes: LANES, lingerMs: 50 });
      await producer.start();
      for (let i = 0; i < 40; i++) send(i, 1, `GID_a@@@d${i % 9}`);
      await producer.stop();
      expect(results.size).toBe(40);
      expect([...results.values()].every((e) => e === null)).toBe(true);
      expect(kafka.ackedValues()).toHaveLength(40);
    });
  });
});
