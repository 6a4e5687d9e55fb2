import { newMessageId } from '#messaging';
import { ConsoleMessaging, type ControlCommand, type DownlinkMessage } from './console-messaging.js';

/** Records what the console sends; for unit tests and e2e runs that do not look at Kafka. */
export class InMemoryConsoleMessaging extends ConsoleMessaging {
  readonly downlink: Array<DownlinkMessage & { msgId: string }> = [];
  readonly control: ControlCommand[] = [];
  /** Set to make the next sends fail, as an unreachable Kafka would. */
  failWith: Error | null = null;

  async sendDownlink(messages: readonly DownlinkMessage[]): Promise<string[]> {
    if (this.failWith) throw this.failWith;
    const ids = messages.map((m) => m.msgId ?? newMessageId());
    messages.forEach((m, i) => this.downlink.push({ ...m, msgId: ids[i]! }));
    return ids;
  }

  async sendControl(command: ControlCommand): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.control.push(command);
  }
}
