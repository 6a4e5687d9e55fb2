import type { Logger } from '#config';
import type { GatewayEventMap, GatewayEventName, GatewayEvents, GatewayListener } from './gateway.ports.js';

/** A small typed observer list: listeners run synchronously, and one that throws cannot break the broker. */
export class GatewayEventBus implements GatewayEvents {
  private readonly listeners: { [E in GatewayEventName]: GatewayListener<E>[] } = {
    connected: [],
    disconnected: [],
    subscribed: [],
    unsubscribed: [],
  };

  constructor(private readonly logger: Logger) {}

  on<E extends GatewayEventName>(event: E, listener: GatewayListener<E>): () => void {
    (this.listeners[event] as GatewayListener<E>[]).push(listener);
    return () => this.off(event, listener);
  }

  off<E extends GatewayEventName>(event: E, listener: GatewayListener<E>): void {
    const list = this.listeners[event] as GatewayListener<E>[];
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  hasListeners(event: GatewayEventName): boolean {
    return this.listeners[event].length > 0;
  }

  emit<E extends GatewayEventName>(event: E, ...args: GatewayEventMap[E]): void {
    const list = this.listeners[event] as GatewayListener<E>[];
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](...args);
      } catch (err) {
        this.logger.error({ err, event }, 'gateway event listener failed');
      }
    }
  }
}
