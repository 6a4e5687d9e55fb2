import type { ProducerFactory, ProducerLike } from './producer-like.js';

const noop = (): void => {};

/**
 * The one kafkajs producer a FleetMQ producer sends with: connected once and shared by every
 * caller; a producer that failed is dropped (and disconnected), and the next `get()` makes a
 * fresh one, since a kafkajs producer can stay "disconnected" for good (kafkajs#907).
 */
export class ProducerSlot {
  private producer: ProducerLike | undefined;
  private connecting: Promise<ProducerLike> | undefined;

  constructor(private readonly create: ProducerFactory) {}

  /** The current producer once connected; a failed connect drops it and rejects. */
  get(): Promise<ProducerLike> {
    if (this.connecting) return this.connecting;
    const producer = this.create();
    this.producer = producer;
    const connecting = producer.connect().then(
      () => producer,
      (error: unknown) => {
        this.drop(producer);
        throw error;
      },
    );
    this.connecting = connecting;
    return connecting;
  }

  /** Throws `which` away if it is still the current one (another caller may have replaced it already). */
  drop(which: ProducerLike): void {
    if (this.producer !== which) return;
    this.producer = undefined;
    this.connecting = undefined;
    void which.disconnect().catch(noop);
  }

  /** Disconnects the current producer, if any. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    if (producer) await producer.disconnect().catch(noop);
  }
}
