import kafkajs, { type PartitionerArgs } from 'kafkajs';
import { UplinkRecordBuilder } from '../codec/uplink.codec.js';
import { fastDefaultPartitioner } from './partitioner.js';

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, partitionErrorCode: 0, leader: 0, replicas: [0], isr: [0] }));

function args(message: PartitionerArgs['message']): PartitionerArgs {
  return { topic: 'fleetmq.uplink', partitionMetadata, message };
}

describe('fastDefaultPartitioner', () => {
  it('puts an uplink record where kafkajs\'s DefaultPartitioner puts its key, from the hash computed once per client', () => {
    // kafkajs's own partitioner is the oracle; it hashes the key bytes.
    const kafkajsPartition = kafkajs.Partitioners.DefaultPartitioner();
    const partition = fastDefaultPartitioner();
    const builder = new UplinkRecordBuilder({ nodeId: 'gw-1' });
    for (let i = 0; i < 500; i++) {
      const record = builder.build({ instanceId: `fmq-${i % 7}`, clientId: `GID_x@@@dévice-${i}`, topic: 't/x', qos: 1, retain: false, payload: Buffer.from('p') });
      expect(record.keyHash).toEqual(expect.any(Number));
      const { keyHash: _hash, ...plain } = record;
      expect(partition(args(record as PartitionerArgs['message']))).toBe(kafkajsPartition(args(plain as PartitionerArgs['message'])));
    }
  });

  it('does not hash the key again when the record carries its hash', () => {
    const partition = fastDefaultPartitioner();
    // A hash that is not the key's: the partition follows the hash, so the key was not read.
    expect(partition(args({ key: Buffer.from('any'), value: null, keyHash: 4 } as PartitionerArgs['message']))).toBe(4);
    expect(partition(args({ key: Buffer.from('any'), value: null, keyHash: -7 } as PartitionerArgs['message']))).toBe((-7 & 0x7fffffff) % 6);
  });

  it('lets an explicit partition win', () => {
    expect(fastDefaultPartitioner()(args({ key: 'k', value: null, partition: 5, keyHash: 1 } as PartitionerArgs['message']))).toBe(5);
  });
});
