import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';
import { murmur2 } from '../partition.js';

/** A record whose key's murmur2 was computed once already (UplinkRecordBuilder caches it per client). */
export interface KeyHashed {
  keyHash?: number;
}

/**
 * kafkajs's DefaultPartitioner (Java-compatible murmur2 of the key; an explicit partition wins;
 * round robin over partitions with a leader when there is no key), without its per-record
 * costs: a 64-bit Long hash, a filtered copy of the partition list and a Buffer per string key.
 * A record that carries its key's hash (`keyHash`) is not hashed again: the uplink hashes a
 * client's key once, for its lane and for its partition.
 */
export const fastDefaultPartitioner: ICustomPartitioner = () => {
  let next = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const count = partitionMetadata.length;
    const keyHash = (message as KeyHashed).keyHash;
    if (keyHash !== undefined) return (keyHash & 0x7fffffff) % count;
    const key = message.key;
    if (key !== null && key !== undefined) {
      const bytes = typeof key === 'string' ? Buffer.from(key) : key;
      return (murmur2(bytes) & 0x7fffffff) % count;
    }
    next = (next + 1) & 0x7fffffff;
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    return available.length > 0 ? available[next % available.length]!.partitionId : next % count;
  };
};
