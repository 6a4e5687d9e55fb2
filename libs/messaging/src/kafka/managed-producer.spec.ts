import { KafkaUnavailableError } from '../errors.js';
import { HEADERS } from '../headers.js';
import { FakeKafka } from '../testing/fake-producer.js';
import { DownlinkPublisher } from './downlink-publisher.js';
import { ManagedProducer } from './managed-producer.js';

const fastRetry = { retries: 2, initialMs: 1, maxMs: 2, factor: 2, jitter: 0 };

describe('ManagedProducer', () => {
  it('retries on a fresh producer after a failure', async () => {
    const kafka = new FakeKafka();
    kafka.mode = 'fail';
    const producer = new ManagedProducer(kafka.factory, fastRetry);
    let attempts = 0;
    kafka.failWith = () => {
      if (++attempts === 2) kafka.mode = 'ack';
      return new Error('The producer is disconnected');
    };
    await producer.send('t', [{ key: 'k', value: 'v' }]);
    expect(kafka.sent.map((s) => s.producer)).toEqual([1, 2, 3]);
    expect(kafka.acked).toHaveLength(1);
    expect(kafka.disconnected).toBe(2);
    await producer.stop();
  });

  it('gives up with KafkaUnavailableError naming the cause', async () => {
    const kafka = new FakeKafka();
    kafka.connectFails = true;
    const producer = new ManagedProducer(kafka.factory, fastRetry);
    const error = await producer.send('topic-x', [{ value: 'v' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as Error).message).toMatch(/could not produce to topic-x: .*Connection error/);
    expect(kafka.created).toBe(3);
  });

  it('refuses to send after stop', async () => {
    const kafka = new FakeKafka();
    const producer = new ManagedProducer(kafka.factory, fastRetry);
    await producer.stop();
    await expect(producer.send('t', [{ value: 'v' }])).rejects.toBeInstanceOf(KafkaUnavailableError);
    expect(kafka.sent).toHaveLength(0);
  });
});

describe('DownlinkPublisher', () => {
  it('sends the messages as one request, in order, and returns their ids', async () => {
    const kafka = new FakeKafka();
    const publisher = new DownlinkPublisher(new ManagedProducer(kafka.factory, fastRetry), 'dl');
    const ids = await publisher.publishMany([
      { instanceId: 'i', topic: 'a', qos: 1, retain: false, payload: Buffer.from('1'), targetClientId: 'c1' },
      { instanceId: 'i', topic: 'b', qos: 0, retain: false, payload: Buffer.from('2'), msgId: 'given' },
    ]);
    expect(kafka.sent).toHaveLength(1);
    const [first, second] = kafka.sent[0]!.messages;
    expect(ids).toEqual([first!.headers![HEADERS.msgId], 'given']);
    expect([first!.key, second!.key]).toEqual(['c1', 'b']);
    expect(await publisher.publishMany([])).toEqual([]);
    expect(kafka.sent).toHaveLength(1);
    await publisher.stop();
  });
});
