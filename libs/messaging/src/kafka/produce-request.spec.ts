import { jest } from '@jest/globals';
import crc32CKafkajs from 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
import kafkajsProduceV3 from 'kafkajs/src/protocol/requests/produce/v3/request.js';
import { crc32c } from './crc32c.js';
import { encodeProduceRequest, type HeaderValue, type ProduceMessage, type ProduceRequestArgs } from './produce-request.js';

const NOW = 1_764_000_000_123;

/** Small deterministic PRNG (mulberry32): failures replay with the same seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function kafkajsBytes(args: ProduceRequestArgs): Promise<Buffer> {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(NOW);
  try {
    const encoder = await kafkajsProduceV3({ compression: 0, ...args } as unknown as Record<string, unknown>).encode();
    return encoder.buffer;
  } finally {
    spy.mockRestore();
  }
}

const TEXTS = ['', 'a', 'telemetry/dev/1', 'GID_sensors@@@dev-ü', '温度/传感器', '😀 emoji', 'x'.repeat(47), 'y'.repeat(49), 'z'.repeat(300)];

function randomRequest(random: () => number): ProduceRequestArgs {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const bytes = (max: number): Buffer => {
    const buf = Buffer.alloc(Math.floor(random() * max), Math.floor(random() * 256));
    for (let i = 0; i < Math.min(buf.length, 16); i++) buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
    return buf;
  };
  const data = (): Buffer | string | null => pick([() => null, () => pick(TEXTS), () => bytes(20), () => bytes(400), () => (random() < 0.1 ? bytes(70_000) : bytes(1000))])();
  // kafkajs throws on a null header value (Kafka allows it): compared separately below.
  const headerValue = (): HeaderValue => pick([() => pick(TEXTS), () => bytes(60)])();
  const message = (): ProduceMessage => {
    const headers: Record<string, HeaderValue | HeaderValue[]> = {};
    const count = Math.floor(random() * 10);
    for (let i = 0; i < count; i++) {
      headers[`${pick(['fleetmq-topic', 'h', 'ключ', 'x'.repeat(60)])}${i}`] = random() < 0.15 ? [headerValue(), headerValue()] : headerValue();
    }
    const m: ProduceMessage = { key: random() < 0.2 ? null : pick([() => pick(TEXTS), () => bytes(40)])(), value: data(), headers };
    const ts = random();
    if (ts < 0.2) m.timestamp = String(NOW - Math.floor(random() * 1e6));
    else if (ts < 0.3) m.timestamp = NOW + Math.floor(random() * 1e9);
    return m;
  };
  const topics = 1 + Math.floor(random() * 3);
  return {
    acks: pick([-1, 0, 1]),
    timeout: Math.floor(random() * 60_000),
    transactionalId: random() < 0.2 ? 'tx-ü' : null,
    producerId: random() < 0.3 ? 4242 : -1,
    producerEpoch: random() < 0.3 ? 7 : 0,
    topicData: Array.from({ length: topics }, (_, t) => ({
      topic: `topic-${t}-${pick(TEXTS).slice(0, 20)}`,
      partitions: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, p) => ({
        partition: p * 3 + t,
        firstSequence: random() < 0.3 ? Math.floor(random() * 1000) : undefined,
        messages: Array.from({ length: Math.floor(random() * 12) }, message),
      })),
    })),
  };
}

describe('encodeProduceRequest', () => {
  it('writes the same bytes as kafkajs for 300 random requests', async () => {
    const random = rng(20261125);
    for (let i = 0; i < 300; i++) {
      const args = randomRequest(random);
      const ours = encodeProduceRequest(args, NOW);
      const theirs = await kafkajsBytes(args);
      if (!ours.equals(theirs)) throw new Error(`request ${i} differs: ${JSON.stringify(args).slice(0, 300)}`);
    }
  });

  it('writes the same bytes as kafkajs for a FleetMQ uplink batch', async () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: Buffer.from(`fmq-abc/GID_x@@@dev${i}`),
      value: Buffer.alloc(128, i),
      headers: {
        'fleetmq-instance': Buffer.from('fmq-abc'),
        'fleetmq-topic': `telemetry/${i}`,
        'fleetmq-qos': Buffer.from('1'),
        'fleetmq-msgid': `01J${i}`,
      },
    }));
    const args = { acks: -1, timeout: 10_000, topicData: [{ topic: 'fleetmq.uplink', partitions: [{ partition: 2, messages }] }] };
    expect(encodeProduceRequest(args, NOW).equals(await kafkajsBytes(args))).toBe(true);
  });

  it('writes a null header value as length -1, which kafkajs cannot', () => {
    const request = (value: HeaderValue) =>
      encodeProduceRequest({ acks: 1, timeout: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: null, value: null, headers: { h: value } }] }] }] }, NOW);
    const withNull = request(null);
    const withEmpty = request('');
    expect(withNull.length).toBe(withEmpty.length);
    // The last byte is the header value's length: zigzag(-1) = 1, zigzag(0) = 0.
    expect([withNull.at(-1), withEmpty.at(-1)]).toEqual([1, 0]);
  });

  it('checksums each batch with CRC-32C from its attributes to its end', () => {
    const args = { acks: -1, timeout: 1000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] };
    const body = encodeProduceRequest(args, NOW);
    // transactional id (2) + acks (2) + timeout (4) + topics (4) + "t" (3) + partitions (4) + partition (4) + record set size (4)
    const batch = body.subarray(27);
    expect(batch.readInt32BE(8)).toBe(batch.length - 12); // batch length
    expect(batch.readInt8(16)).toBe(2); // magic
    expect(batch.readUInt32BE(17)).toBe(crc32c(batch, 21));
    batch[batch.length - 1] ^= 1;
    expect(batch.readUInt32BE(17)).not.toBe(crc32c(batch, 21));
  });
});

describe('crc32c', () => {
  it('matches the CRC-32C check value and RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with kafkajs on every length from 0 to 70 and on offsets', () => {
    const random = rng(7);
    const data = Buffer.from(Array.from({ length: 200 }, () => Math.floor(random() * 256)));
    for (let n = 0; n <= 70; n++) expect(crc32c(data.subarray(0, n))).toBe(crc32CKafkajs(data.subarray(0, n)));
    expect(crc32c(data, 13, 177)).toBe(crc32CKafkajs(data.subarray(13, 177)));
  });
});
