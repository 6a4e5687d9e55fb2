import { jest } from '@jest/globals';
import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import { installProduceEncoder } from './kafkajs-produce-encoder.js';

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

describe('installProduceEncoder', () => {
  beforeAll(() => {
    expect(installProduceEncoder()).toBe(true);
    expect(installProduceEncoder()).toBe(true); // idempotent
  });

  afterEach(() => jest.restoreAllMocks());

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
