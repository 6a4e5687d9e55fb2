/** Events emitted by the batching producers (UplinkProducer, PresencePublisher) and the in-process bus. */
export const PRODUCER_EVENTS = {
  /** Too many guaranteed records wait for Kafka: callers should stop reading from publishers. */
  saturated: 'saturated',
  /** The queue went back under half its bound: callers may read again. */
  resumed: 'resumed',
  /** A produce attempt failed; records are held and retried. */
  unavailable: 'unavailable',
  /** A produce succeeded after failures. */
  recovered: 'recovered',
} as const;

export type ProducerEvent = (typeof PRODUCER_EVENTS)[keyof typeof PRODUCER_EVENTS];
