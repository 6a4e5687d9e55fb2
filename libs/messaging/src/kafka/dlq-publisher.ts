import { buildDlqRecord } from '../codec/dlq.codec.js';
import type { IncomingRecord, RecordOrigin } from '../codec/record.js';
import { DLQ_TOPIC } from '../topics.js';
import type { ManagedProducer } from './managed-producer.js';

/** Parks a record that cannot be handled on `fleetmq.dlq`, with why and from where. */
export class DlqPublisher {
  constructor(
    private readonly producer: ManagedProducer,
    private readonly topic: string = DLQ_TOPIC,
  ) {}

  async publish(record: IncomingRecord, origin: RecordOrigin, reason: string): Promise<void> {
    await this.producer.send(this.topic, [buildDlqRecord(record, origin, reason)]);
  }
}
