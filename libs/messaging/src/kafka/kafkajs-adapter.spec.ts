import { jest } from '@jest/globals';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import { pino } from 'pino';
import { KAFKAJS_VERSION, checkAndPatchKafkajs, patchKafkajs } from './kafkajs-adapter.js';
import { encodeProduceRequest } from './produce-request.js';
import { captureLogs } from '../../../../test/helpers/logs.js';

const NOW = 1_764_000_000_000;
const topicData = [
  {
    topic: 'fleetmq.uplink',
    partitions: [{ partition: 1, messages: [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: { 'fleetmq-qos': Buffer.from('1') } }] }],
  },
];

async function bytesOf(encoded: unknown): Promise<Buffer> {
  return (encoded as { buffer: Buffer }).buffer;
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
      expect(state).toEqual({ engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: KAFKAJS_VERSION, patched: true });
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

  it('falls back to kafkajs\'s encoder, with a warning naming both versions, when the version differs', async () => {
    const log = captureLogs();
    const state = await checkAndPatchKafkajs({ logger: log.logger, foundVersion: '2.2.5' });
    expect(state).toMatchObject({ engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: '2.2.5', patched: false, reason: 'version differs' });
    expect(await encoderInUse()).toBe('Encoder');
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'kafkajs', expectedVersion: KAFKAJS_VERSION, foundVersion: '2.2.5', patched: false });
    expect(String(log.lines[0]!.lost)).toContain("kafkajs's own encoder");
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
    expect(state).toMatchObject({ patched: false, reason: 'self-test failed: boom' });
    expect(await encoderInUse()).toBe('Encoder');
  });
});
