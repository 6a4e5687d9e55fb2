import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInThisContext } from 'node:vm';
import { jest } from '@jest/globals';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import { pino } from 'pino';
import { KAFKAJS_VERSION, REQUEST_TIMEOUT_SWEEP_MS, checkAndPatchKafkajs, groupMessagesPerPartition, patchKafkajs } from './kafkajs-adapter.js';
import { encodeProduceRequest } from './produce-request.js';
import { captureLogs } from '../../../../test/helpers/logs.js';

const NOW = 1_764_000_000_000;
const topicData = [
  {
    topic: 'fleetmq.uplink',
    partitions: [{ partition: 1, messages: [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: { 'fleetmq-qos': Buffer.from('1') } }] }],
  },
];

const silentKafkaLogger = { debug() {}, info() {}, warn() {}, error() {} };

function requestQueue(maxInFlightRequests = 1): RequestQueue {
  return new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'spec:9092', logger: silentKafkaLogger });
}

/** Pushes a request; resolves once the queue hands it to the socket (its correlation ID). */
function pushRequest(queue: RequestQueue, correlationId: number): Promise<number> {
  return new Promise((sent) => {
    queue.push({
      entry: { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => {}, reject: () => {} },
      expectResponse: true,
      sendRequest: () => sent(correlationId),
    });
  });
}

/** The period of the request-timeout sweep a connected queue with this timeout arms. */
function sweepIntervalOf(requestTimeout: number): number | undefined {
  const spy = jest.spyOn(global, 'setInterval');
  const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout, enforceRequestTimeout: true, clientId: 'spec', broker: 'spec:9092', logger: silentKafkaLogger });
  try {
    queue.scheduleRequestTimeoutCheck();
    return spy.mock.calls.at(-1)?.[1];
  } finally {
    queue.destroy();
    spy.mockRestore();
  }
}

/** Resolves after the queue's next check of its pending requests (its armed timer firing). */
function nextCheck(queue: RequestQueue): Promise<void> {
  const check = queue.checkPendingRequests;
  return new Promise((checked) => {
    queue.checkPendingRequests = function (this: RequestQueue) {
      queue.checkPendingRequests = check;
      check.call(this);
      checked();
    };
  });
}

async function bytesOf(encoded: unknown): Promise<Buffer> {
  return (encoded as { buffer: Buffer }).buffer;
}

/** kafkajs's own groupMessagesPerPartition, compiled from its file (the module cache may hold FleetMQ's). */
function kafkajsGrouping(): typeof groupMessagesPerPartition {
  const file = createRequire(import.meta.url).resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  const module = { exports: undefined as unknown };
  (runInThisContext(`(function (module) {${readFileSync(file, 'utf8')}\n})`) as (m: typeof module) => void)(module);
  return module.exports as typeof groupMessagesPerPartition;
}

/** The class of what kafkajs's Produce builder encodes now: 'EncodedBody' (patched) or kafkajs's 'Encoder'. */
async function encoderInUse(): Promise<string | undefined> {
  const { request } = produce.protocol({ version: 7 })({ acks: -1, timeout: 5000, compression: 0, topicData });
  return (await request.encode())?.constructor?.name;
}

describe('kafkajs adapter', () => {
  afterEach(() => jest.restoreAllMocks());
  // Every test leaves the process as createKafka would: patched.
  afterEach(async () => {
    expect((await checkAndPatchKafkajs({ logger: pino({ level: 'silent' }) })).patched).toBe(true);
  });

  describe('patched (the installed kafkajs is the one it was written for)', () => {
    beforeAll(async () => {
      const log = captureLogs();
      const state = await patchKafkajs(log.logger);
      expect(state).toEqual({ engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: KAFKAJS_VERSION, patched: true, idleQueuesQuiet: true, slowTimeoutSweeps: true, linearGrouping: true });
      expect(await patchKafkajs(log.logger)).toBe(state); // once per process
      expect(log.lines).toEqual([]);
    });

    it.each([3, 4, 5, 6, 7])('encodes uncompressed produce v%i with the same bytes as kafkajs', async (version) => {
      jest.spyOn(Date, 'now').mockReturnValue(NOW);
      const args = { acks: -1, timeout: 5000, compression: 0, topicData };
      const { request } = produce.protocol({ version })(args);
      const encoded = await request.encode();
      expect(encoded?.constructor?.name).toBe('EncodedBody');
      expect(request.apiVersion).toBe(version);
      expect((await bytesOf(encoded)).equals(await bytesOf(await kafkajsProduceV3(args).encode()))).toBe(true);
    });

    it('leaves compressed requests and older versions to kafkajs', async () => {
      const gzip = produce.protocol({ version: 7 })({ acks: -1, timeout: 5000, compression: 1, topicData });
      expect((await gzip.request.encode())?.constructor?.name).toBe('Encoder');
      const v2 = produce.protocol({ version: 2 })({ acks: -1, timeout: 5000, compression: 0, topicData });
      expect((await v2.request.encode())?.constructor?.name).toBe('Encoder');
    });
  });

  describe('request queues (kafkajs#1556: a 1 ms check re-armed forever)', () => {
    beforeAll(async () => {
      expect((await patchKafkajs(captureLogs().logger)).idleQueuesQuiet).toBe(true);
    });

    it('arms no timer on a connection with nothing pending and no throttle', async () => {
      const queue = requestQueue();
      const sent = pushRequest(queue, 1);
      expect(await sent).toBe(1);
      queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(queue.throttleCheckTimeoutId).toBeNull();
      queue.destroy();
    });

    it('still sends a request that waited for the in-flight limit once the one before is answered', async () => {
      const queue = requestQueue(1);
      await pushRequest(queue, 1);
      let secondSent = false;
      const second = pushRequest(queue, 2).then((id) => ((secondSent = true), id));
      expect(queue.pending).toHaveLength(1);
      expect(secondSent).toBe(false);
      queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(await second).toBe(2);
      queue.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
      expect(queue.pending).toHaveLength(0);
      // The check armed while request 2 waited runs once more, finds nothing, and arms no other.
      await nextCheck(queue);
      expect(queue.throttleCheckTimeoutId).toBeNull();
      queue.destroy();
    });

    it('still sends a request that waited out a client-side throttle, and stops checking afterwards', async () => {
      const queue = requestQueue(5);
      queue.maybeThrottle(30);
      const pushedAt = Date.now();
      const sent = pushRequest(queue, 7);
      expect(queue.pending).toHaveLength(1);
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      expect(await sent).toBe(7);
      expect(Date.now() - pushedAt).toBeGreaterThanOrEqual(25);
      expect(queue.pending).toHaveLength(0);
      queue.fulfillRequest({ correlationId: 7, payload: Buffer.alloc(0), size: 0 });
      expect(queue.throttleCheckTimeoutId).toBeNull();
      queue.destroy();
    });
  });

  it('falls back to kafkajs\'s encoder and request queue, with a warning naming both versions, when the version differs', async () => {
    const log = captureLogs();
    const state = await checkAndPatchKafkajs({ logger: log.logger, foundVersion: '2.2.5' });
    expect(state).toMatchObject({ engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: '2.2.5', patched: false, reason: 'version differs', idleQueuesQuiet: false });
    expect(await encoderInUse()).toBe('Encoder');
    expect(log.lines).toHaveLength(3);
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: '2.2.5', idleQueuesQuiet: false, slowTimeoutSweeps: false });
    expect(String(log.lines[0]!.lost)).toContain('1 ms request-queue check');
    expect(String(log.lines[1]!.lost)).toContain('timed-out requests ten times a second');
    expect(log.lines[2]).toMatchObject({ level: 40, engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: '2.2.5', patched: false });
    expect(String(log.lines[2]!.lost)).toContain("kafkajs's own encoder");
    expect(sweepIntervalOf(30_000)).toBe(100);
    // kafkajs's own queue again: an idle connection re-arms its check.
    const queue = requestQueue();
    await pushRequest(queue, 1);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    queue.destroy();
  });

  describe('request-timeout sweeps (kafkajs: every connection ten times a second)', () => {
    beforeAll(async () => {
      expect((await patchKafkajs(captureLogs().logger)).slowTimeoutSweeps).toBe(true);
    });

    it('a connected queue looks for timed-out requests once a second, or as often as its timeout when that is shorter', () => {
      expect(sweepIntervalOf(30_000)).toBe(REQUEST_TIMEOUT_SWEEP_MS);
      expect(sweepIntervalOf(400)).toBe(400);
    });

    it("a request past its timeout still fails with kafkajs's timeout error", async () => {
      const queue = new RequestQueue({ maxInFlightRequests: 5, requestTimeout: 150, enforceRequestTimeout: true, clientId: 'spec', broker: 'spec:9092', logger: silentKafkaLogger });
      queue.scheduleRequestTimeoutCheck();
      const failed = new Promise<Error>((resolve) => {
        queue.push({
          entry: { correlationId: 1, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => {}, reject: resolve },
          expectResponse: true,
          sendRequest: () => {},
        });
      });
      const startedAt = Date.now();
      const error = await failed;
      expect(error.name).toBe('KafkaJSRequestTimeoutError');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
      expect(queue.inflight.size).toBe(0);
      queue.destroy();
    });

    it('a queue whose connection is gone stops its sweep', async () => {
      let connected = true;
      const queue = new RequestQueue({ maxInFlightRequests: 5, requestTimeout: 50, enforceRequestTimeout: true, isConnected: () => connected, clientId: 'spec', broker: 'spec:9092', logger: silentKafkaLogger });
      const cleared = new Promise<void>((resolve) => {
        const destroy = queue.destroy;
        queue.destroy = function (this: RequestQueue) {
          destroy.call(this);
          if (!connected) resolve();
        };
      });
      queue.scheduleRequestTimeoutCheck();
      connected = false;
      // Only the sweep calls destroy() here, and only once it found the connection gone.
      await cleared;
    });
  });

  it('falls back when the self-test bytes differ from kafkajs\'s', async () => {
    const log = captureLogs();
    const offByOne = (args: Parameters<typeof encodeProduceRequest>[0]) => {
      const bytes = encodeProduceRequest(args);
      bytes[bytes.length - 1] ^= 1;
      return bytes;
    };
    const state = await checkAndPatchKafkajs({ logger: log.logger, encoder: offByOne });
    expect(state.patched).toBe(false);
    expect(state.reason).toMatch(/self-test/);
    expect(await encoderInUse()).toBe('Encoder');
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'kafkajs', patched: false });
  });

  it('falls back when the encoder throws during the self-test', async () => {
    const log = captureLogs();
    const state = await checkAndPatchKafkajs({
      logger: log.logger,
      encoder: () => {
        throw new Error('boom');
      },
    });
    expect(state).toMatchObject({ patched: false, reason: 'self-test failed: boom', idleQueuesQuiet: true });
    expect(await encoderInUse()).toBe('Encoder');
  });

  describe("grouping a send's messages by partition", () => {
    const original = kafkajsGrouping();
    const partitionMetadata = [0, 1, 2, 3, 4].map((partitionId) => ({ partitionId, leader: 1 }));

    it.each([
      ['no messages', 0, 5],
      ['one partition (an uplink lane)', 500, 1],
      ['spread over five partitions', 1000, 5],
    ])('gives what kafkajs gives, with the same partitioner calls: %s', (_case, count, spread) => {
      const messages = Array.from({ length: count }, (_, i) => ({ key: `client-${i % 37}`, value: `m${i}` }));
      const calls = { ours: [] as string[], kafkajs: [] as string[] };
      const partitioner = (seen: string[]) => (args: { topic: string; partitionMetadata: unknown[]; message: Record<string, unknown> }) => {
        seen.push(`${args.topic}:${String(args.message.value)}`);
        return Number(String(args.message.key).slice('client-'.length)) % spread;
      };
      const ours = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: partitioner(calls.ours) });
      const theirs = original({ topic: 't', partitionMetadata, messages, partitioner: partitioner(calls.kafkajs) });
      expect(ours).toEqual(theirs);
      expect(Object.keys(ours)).toEqual(Object.keys(theirs));
      expect(calls.ours).toEqual(calls.kafkajs);
      expect(calls.ours).toHaveLength(count);
    });

    it('gives nothing, without asking the partitioner, when the topic has no partition metadata', () => {
      const partitioner = jest.fn(() => 0);
      const args = { topic: 't', partitionMetadata: [], messages: [{ value: 'x' }], partitioner };
      expect(groupMessagesPerPartition(args)).toEqual(original(args));
      expect(groupMessagesPerPartition(args)).toEqual({});
      expect(partitioner).not.toHaveBeenCalled();
    });
  });
});
