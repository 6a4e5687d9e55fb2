import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { headerText, keyText } from '../../codec/record.js';
import { KafkaUnavailableError, MessagingStoppedError, QueueFullError, RecordRejectedError } from '../../errors.js';
import { HEADERS } from '../../headers.js';
import { PRODUCER_EVENTS } from '../../messaging.events.js';
import { FakeKafka } from '../../testing/fake-producer.js';
import type { Qos, UplinkMessage } from '../../types.js';
import { UplinkProducer } from '../uplink-producer.js';
import type { FromUplinkWorker, ToUplinkWorker } from './messages.js';
import { readRecordChunk, RecordChunkWriter } from './record-chunk.js';
import { UplinkWorkerHost, type HostPort } from './uplink-worker-host.js';
import { WorkerUplinkSink, type UplinkWorkerLike } from './worker-uplink-sink.js';

const logger = pino({ level: 'silent' });
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(1);
  }
}

function msg(i: number, qos: Qos = 1, clientId = 'GID_a@@@d1'): UplinkMessage {
  return { instanceId: 'fmq-abc123', clientId, topic: `t/${i}/é`, qos, retain: i % 2 === 0, payload: Buffer.from(`payload ${i}`) };
}

/**
 * A worker stand-in on a real MessageChannel: the host (with a real UplinkProducer over
 * FakeKafka) at one end, the sink at the other; messages are structured-cloned and chunks
 * transferred as between threads.
 */
class ChannelWorker extends EventEmitter implements UplinkWorkerLike {
  readonly port: MessagePort;
  readonly hostPort: MessagePort;
  terminated = false;

  constructor() {
    super();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.hostPort = port2;
    port1.on('message', (m: FromUplinkWorker) => this.emit('message', m));
  }

  postMessage(message: ToUplinkWorker, transfer?: ArrayBuffer[]): void {
    this.port.postMessage(message, transfer);
  }

  /** The worker thread dies: its end goes away without a word. */
  crash(): void {
    this.hostPort.close();
    this.port.close();
    this.emit('exit', 1);
  }

  async terminate(): Promise<number> {
    this.terminated = true;
    this.hostPort.close();
    this.port.close();
    return 0;
  }
}

function setup(limits: { maxQueuedRecords?: number; maxQueuedQos0?: number } = {}) {
  const kafka = new FakeKafka();
  const workers: ChannelWorker[] = [];
  const sink = new WorkerUplinkSink({
    spawn: () => {
      const worker = new ChannelWorker();
      workers.push(worker);
      const producer = new UplinkProducer({
        createProducer: kafka.factory, logger, nodeId: 'node-1', lingerMs: 1, maxBatchRecords: 100,
        maxQueuedRecords: 10_000, maxQueuedQos0: 10_000, backoff: { initialMs: 1, maxMs: 5, jitter: 0 },
      });
      void new UplinkWorkerHost(worker.hostPort as unknown as HostPort, producer).start();
      return worker;
    },
    logger,
    maxQueuedRecords: limits.maxQueuedRecords ?? 1000,
    maxQueuedQos0: limits.maxQueuedQos0 ?? 1000,
    stopGraceMs: 200,
  });
  const results = new Map<number, Error | null>();
  const send = (i: number, qos: Qos = 1): void =>
    sink.send(msg(i, qos), (err) => {
      if (results.has(i)) throw new Error(`done called twice for ${i}`);
      results.set(i, err ?? null);
    });
  return { kafka, sink, workers, results, send };
}

describe('RecordChunkWriter / readRecordChunk', () => {
  it('reads back every field of every record, in order, across a grown staging buffer', () => {
    const writer = new RecordChunkWriter();
    const big = Buffer.alloc(100_000, 7);
    const sent: UplinkMessage[] = [msg(1, 0), { ...msg(2, 2), msgId: 'id-2', payload: big }, { ...msg(3), clientId: '', payload: Buffer.alloc(0) }];
    sent.forEach((m, i) => writer.append(10 + i, m, 1_764_000_000_000 + i));
    expect(writer.count).toBe(3);
    const got: Array<[number, UplinkMessage]> = [];
    readRecordChunk(writer.take(), (seq, m) => got.push([seq, m]));
    expect(writer.count).toBe(0);
    expect(got.map(([seq]) => seq)).toEqual([10, 11, 12]);
    got.forEach(([, m], i) => {
      const s = sent[i]!;
      expect({ ...m, payload: Buffer.from(m.payload) }).toEqual({ ...s, payload: s.payload, ts: 1_764_000_000_000 + i, msgId: s.msgId });
    });
  });
});

describe('WorkerUplinkSink', () => {
  it('calls done only after Kafka acknowledged the record, with the record the main-thread producer would build', async () => {
    const { kafka, sink, results, send } = setup();
    kafka.mode = 'manual';
    await sink.start();
    for (let i = 0; i < 5; i++) send(i, 1);
    await until(() => kafka.pending.length === 1);
    await tick(10);
    expect(results.size).toBe(0);
    const sent = kafka.pending[0]!.messages;
    expect(sent.map((m) => headerText(m.headers, HEADERS.topic))).toEqual([0, 1, 2, 3, 4].map((i) => `t/${i}/é`));
    expect(keyText(sent[0]!.key ?? null)).toBe('fmq-abc123/GID_a@@@d1');
    expect(headerText(sent[1]!.headers, HEADERS.retain)).toBe('false');
    expect(String(sent[2]!.value)).toBe('payload 2');
    kafka.pending.shift()!.resolve();
    await until(() => results.size === 5);
    expect([...results.values()]).toEqual([null, null, null, null, null]);
    await sink.stop();
  });

  it('reports saturation itself from unsettled guaranteed records, and resumes under half', async () => {
    const { kafka, sink, results, send } = setup({ maxQueuedRecords: 10 });
    kafka.mode = 'manual';
    await sink.start();
    const events: string[] = [];
    sink.on(PRODUCER_EVENTS.saturated, () => events.push('saturated'));
    sink.on(PRODUCER_EVENTS.resumed, () => events.push('resumed'));
    for (let i = 0; i < 10; i++) send(i);
    expect(sink.isSaturated()).toBe(true);
    expect(events).toEqual(['saturated']);
    await until(() => kafka.pending.length === 1);
    kafka.pending.shift()!.resolve();
    await until(() => results.size === 10);
    expect(events).toEqual(['saturated', 'resumed']);
    expect(sink.isSaturated()).toBe(false);
    await sink.stop();
  });

  it('drops QoS 0 records beyond maxQueuedQos0 unsettled (QueueFullError, counted), never QoS 1', async () => {
    const { kafka, sink, results, send } = setup({ maxQueuedQos0: 3 });
    kafka.mode = 'manual';
    await sink.start();
    for (let i = 0; i < 5; i++) send(i, 0);
    send(5, 1);
    await tick();
    expect(results.get(3)).toBeInstanceOf(QueueFullError);
    expect(results.get(4)).toBeInstanceOf(QueueFullError);
    expect(sink.uplinkCounters.droppedQos0).toBe(2);
    await until(() => kafka.pending.length > 0);
    kafka.pending.shift()!.resolve();
    await until(() => results.size === 6);
    expect([0, 1, 2, 5].map((i) => results.get(i))).toEqual([null, null, null, null]);
    await sink.stop();
  });

  it('passes on a record Kafka refuses for good as RecordRejectedError, and the unavailable/recovered events', async () => {
    const { kafka, sink, results, send } = setup();
    kafka.mode = 'manual';
    await sink.start();
    const events: string[] = [];
    sink.on(PRODUCER_EVENTS.unavailable, () => events.push('unavailable'));
    sink.on(PRODUCER_EVENTS.recovered, () => events.push('recovered'));
    send(1);
    await until(() => kafka.pending.length === 1);
    kafka.pending.shift()!.reject(new Error('Connection error: ECONNREFUSED'));
    await until(() => kafka.pending.length === 1);
    kafka.pending.shift()!.resolve();
    await until(() => results.size === 1);
    expect(results.get(1)).toBeNull();
    expect(events).toEqual(['unavailable', 'recovered']);
    send(2);
    await until(() => kafka.pending.length === 1);
    kafka.pending.shift()!.reject(Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' }));
    await until(() => results.size === 2);
    expect(results.get(2)).toBeInstanceOf(RecordRejectedError);
    await sink.stop();
  });

  it('on stop sends what it holds, fails what Kafka never acknowledged with MessagingStoppedError, and refuses new records', async () => {
    const { kafka, sink, workers, results, send } = setup();
    kafka.mode = 'fail';
    await sink.start();
    send(1);
    send(2);
    await until(() => kafka.sent.length > 0);
    await sink.stop(50);
    expect(results.get(1)).toBeInstanceOf(MessagingStoppedError);
    expect(results.get(2)).toBeInstanceOf(MessagingStoppedError);
    expect(workers[0]!.terminated).toBe(true);
    send(3);
    await tick();
    expect(results.get(3)).toBeInstanceOf(MessagingStoppedError);
  });

  it('fails the unsettled records of a worker that died (never acknowledges them) and continues on a new worker', async () => {
    const { kafka, sink, workers, results, send } = setup();
    kafka.mode = 'manual';
    await sink.start();
    send(1);
    await until(() => kafka.pending.length === 1);
    workers[0]!.crash();
    expect(results.get(1)).toBeInstanceOf(KafkaUnavailableError);
    // Kafka's answer to the dead worker's request goes nowhere.
    kafka.pending.shift()!.resolve();
    kafka.mode = 'ack';
    send(2);
    await until(() => results.has(2), 5000);
    expect(results.get(2)).toBeNull();
    expect(workers).toHaveLength(2);
    await sink.stop();
  });
});
