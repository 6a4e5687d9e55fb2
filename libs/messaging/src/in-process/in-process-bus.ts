import { EventEmitter } from 'node:events';
import type { Logger } from '#config';
import { MessagingStoppedError } from '../errors.js';
import { newMessageId } from '../message-id.js';
import type {
  ControlChannel,
  ControlHandler,
  DownlinkHandler,
  DownlinkSink,
  DownlinkSource,
  PresenceSink,
  UplinkCounters,
  UplinkSink,
} from '../ports.js';
import type { ControlCommand, Done, DownlinkInput, DownlinkMessage, PresenceEvent, UplinkMessage, UplinkRecord } from '../types.js';

type Listener<T> = (value: T) => void;

/**
 * Hands each value to a handler one after another, in order, off the caller's stack (as a
 * Kafka consumer would); a failing handler is logged and does not stop the ones after it.
 */
class SerialDelivery<T> {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly handler: (value: T) => Promise<void> | void,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(value: T): void {
    this.chain = this.chain.then(() => this.handler(value)).catch(this.onError);
  }

  /** Resolves once everything pushed so far was handled. */
  idle(): Promise<void> {
    return this.chain;
  }
}

/**
 * The no-Kafka fallback: uplink records are "acknowledged" at once (nothing durable!), and
 * downlink, control and presence messages are delivered inside this process. Lets the
 * all-in-one start run without Kafka; never the choice when brokers are configured.
 */
export class InProcessBus {
  private readonly uplinkListeners = new Set<Listener<UplinkRecord>>();
  private readonly presenceListeners = new Set<Listener<PresenceEvent>>();
  private readonly downlinkDeliveries = new Set<SerialDelivery<DownlinkMessage>>();
  private readonly controlDeliveries = new Set<SerialDelivery<ControlCommand>>();

  constructor(
    private readonly logger: Logger,
    private readonly nodeId = 'in-process',
  ) {}

  // ---------------------------------------------------------------- taps (in-process consumers, tests)

  /** Every uplink record, as a Kafka consumer of `fleetmq.uplink` would see it. */
  onUplink(listener: Listener<UplinkRecord>): () => void {
    this.uplinkListeners.add(listener);
    return () => this.uplinkListeners.delete(listener);
  }

  onPresence(listener: Listener<PresenceEvent>): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** Resolves once every downlink and control message published so far was handled. */
  async idle(): Promise<void> {
    await Promise.all([...this.downlinkDeliveries, ...this.controlDeliveries].map((d) => d.idle()));
  }

  // ---------------------------------------------------------------- ports

  createUplink(): UplinkSink {
    return new InProcessUplink(this.nodeId, (record) => this.emit(this.uplinkListeners, record, 'uplink'));
  }

  createDownlinkSink(): DownlinkSink {
    return {
      start: async () => {},
      stop: async () => {},
      publish: async (msg) => this.publishDownlink([msg])[0]!,
      publishMany: async (msgs) => this.publishDownlink(msgs),
    };
  }

  createDownlinkSource(): DownlinkSource {
    let delivery: SerialDelivery<DownlinkMessage> | undefined;
    return {
      start: async (handler: DownlinkHandler) => {
        delivery = new SerialDelivery(handler, (e) => this.logger.error({ err: e }, 'downlink handler failed'));
        this.downlinkDeliveries.add(delivery);
      },
      stop: async () => {
        if (delivery) this.downlinkDeliveries.delete(delivery);
      },
    };
  }

  createPresence(): PresenceSink {
    return {
      start: async () => {},
      stop: async () => {},
      publish: (event) => this.emit(this.presenceListeners, event, 'presence'),
    };
  }

  createControl(): ControlChannel {
    let delivery: SerialDelivery<ControlCommand> | undefined;
    return {
      start: async (handler: ControlHandler) => {
        delivery = new SerialDelivery(handler, (e) => this.logger.error({ err: e }, 'control handler failed'));
        this.controlDeliveries.add(delivery);
      },
      stop: async () => {
        if (delivery) this.controlDeliveries.delete(delivery);
      },
      publish: async (command) => {
        const stamped: ControlCommand = command.ts === undefined ? { ...command, ts: Date.now() } : command;
        for (const d of this.controlDeliveries) d.push(stamped);
      },
    };
  }

  private publishDownlink(msgs: readonly DownlinkInput[]): string[] {
    return msgs.map((input) => {
      const msg: DownlinkMessage = { ...input, msgId: input.msgId ?? newMessageId() };
      for (const d of this.downlinkDeliveries) d.push(msg);
      return msg.msgId;
    });
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T, what: string): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.logger.error({ err: error }, `${what} listener failed`);
      }
    }
  }
}

/** Acknowledges at once: the in-process bus keeps nothing, so there is nothing to wait for. */
class InProcessUplink extends EventEmitter implements UplinkSink {
  private readonly counters: UplinkCounters = { produced: 0, failedAttempts: 0, droppedQos0: 0, rejected: 0, queued: 0, inFlight: 0, batches: 0 };
  private stopped = false;

  constructor(
    private readonly nodeId: string,
    private readonly deliver: (record: UplinkRecord) => void,
  ) {
    super();
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
  }

  send(msg: UplinkMessage, done: Done): void {
    if (this.stopped) {
      process.nextTick(done, new MessagingStoppedError('uplink'));
      return;
    }
    this.counters.produced++;
    this.counters.batches++;
    this.deliver({ ...msg, ts: msg.ts ?? Date.now(), msgId: msg.msgId ?? newMessageId(), nodeId: this.nodeId });
    process.nextTick(done);
  }

  isSaturated(): boolean {
    return false;
  }

  get uplinkCounters(): UplinkCounters {
    return { ...this.counters };
  }
}
