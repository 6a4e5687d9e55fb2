/**
 * Kafka's key hash (murmur2, as the Java client's DefaultPartitioner and kafkajs's
 * Partitioners.DefaultPartitioner), in 32-bit integer arithmetic: kafkajs's own version
 * works on 64-bit Long objects and showed up in the uplink profile.
 */
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The Java switch falls through from the highest remaining byte down.
  const rest = length & 3;
  if (rest > 0) {
    const tail = length & ~3;
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key among `count`, as Kafka's default partitioner picks it. */
export function partitionOfKey(key: Uint8Array, count: number): number {
  return (murmur2(key) & 0x7fffffff) % count;
}
