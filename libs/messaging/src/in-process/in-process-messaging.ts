import type { Logger } from '#config';
import type { ControlChannel, DownlinkSink, DownlinkSource, Messaging, PresenceSink, UplinkSink } from '../ports.js';
import { InProcessBus } from './in-process-bus.js';

/** Messaging without Kafka (see InProcessBus): same ports, nothing durable. */
export class InProcessMessaging implements Messaging {
  readonly kind = 'in-process' as const;
  readonly bus: InProcessBus;
  private uplinkSink: UplinkSink | undefined;
  private downlink: DownlinkSink | undefined;
  private presenceSink: PresenceSink | undefined;

  constructor(logger: Logger, nodeId: string, bus?: InProcessBus) {
    this.bus = bus ?? new InProcessBus(logger, nodeId);
  }

  async start(): Promise<void> {}

  async ping(): Promise<void> {}

  async stop(): Promise<void> {
    await this.uplinkSink?.stop();
    await this.bus.idle();
  }

  uplink(): UplinkSink {
    this.uplinkSink ??= this.bus.createUplink();
    return this.uplinkSink;
  }

  downlinkSink(): DownlinkSink {
    this.downlink ??= this.bus.createDownlinkSink();
    return this.downlink;
  }

  /** One process, one node: a group name changes nothing here. */
  downlinkSource(_groupId?: string): DownlinkSource {
    return this.bus.createDownlinkSource();
  }

  presence(): PresenceSink {
    this.presenceSink ??= this.bus.createPresence();
    return this.presenceSink;
  }

  /** `role` only names the channel here: every channel gets every command. */
  control(_role?: string): ControlChannel {
    return this.bus.createControl();
  }
}
