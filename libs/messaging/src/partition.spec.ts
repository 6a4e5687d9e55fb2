import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { murmur2, partitionOfKey } from './partition.js';

// kafkajs's own murmur2 (the one its DefaultPartitioner uses) is the reference.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

describe('murmur2', () => {
  it('matches the Java client on its published test vectors', () => {
    // From Kafka's UtilsTest.testMurmur2.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(479470107);
  });

  it('equals kafkajs on random keys of every length remainder, ASCII and not', () => {
    for (let i = 0; i < 2000; i++) {
      const key = i % 2 === 0 ? randomBytes(i % 70) : Buffer.from(`fmq-${i.toString(36)}/GID_x@@@dévice-${i}`);
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
    }
  });

  it('picks the partition as the default partitioner does', () => {
    const key = Buffer.from('fmq-abc123/GID_a@@@d1');
    expect(partitionOfKey(key, 6)).toBe((kafkajsMurmur2(key) & 0x7fffffff) % 6);
    for (let n = 1; n <= 64; n++) expect(partitionOfKey(key, n)).toBeLessThan(n);
  });
});
