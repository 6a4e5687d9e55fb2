import { FakeKafka } from '../testing/fake-producer.js';
import { ProducerSlot } from './producer-slot.js';

describe('ProducerSlot', () => {
  it('connects one producer and shares it', async () => {
    const kafka = new FakeKafka();
    const slot = new ProducerSlot(kafka.factory);
    const [a, b] = await Promise.all([slot.get(), slot.get()]);
    expect(a).toBe(b);
    expect(await slot.get()).toBe(a);
    expect(kafka.created).toBe(1);
  });

  it('replaces a dropped producer, and ignores a drop of one already replaced', async () => {
    const kafka = new FakeKafka();
    const slot = new ProducerSlot(kafka.factory);
    const first = await slot.get();
    slot.drop(first);
    const second = await slot.get();
    expect(second).not.toBe(first);
    slot.drop(first); // stale: another caller already replaced it
    expect(await slot.get()).toBe(second);
    expect(kafka.created).toBe(2);
    expect(kafka.disconnected).toBe(1);
  });

  it('makes a fresh producer after a failed connect', async () => {
    const kafka = new FakeKafka();
    kafka.connectFails = true;
    const slot = new ProducerSlot(kafka.factory);
    await expect(slot.get()).rejects.toThrow('Connection error');
    kafka.connectFails = false;
    await slot.get();
    expect(kafka.created).toBe(2);
  });

  it('disconnects the current producer on close', async () => {
    const kafka = new FakeKafka();
    const slot = new ProducerSlot(kafka.factory);
    await slot.get();
    await slot.close();
    expect(kafka.disconnected).toBe(1);
    await slot.close();
    expect(kafka.disconnected).toBe(1);
  });
});
