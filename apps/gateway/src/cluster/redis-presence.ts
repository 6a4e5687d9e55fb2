import type { Logger } from '#config';
import { RedisPresenceDirectory, type ClientLocation } from '#messaging';
import type { ClientContext, PresenceDirectory } from '../gateway.ports.js';

export interface RedisPresenceOptions {
  redisUrl: string;
  nodeId: string;
  heartbeatMs: number;
  logger: Logger;
}

/**
 * The gateway's side of the tier's presence directory in Redis (FLEETMQ_SESSION_STORE=redis):
 * one entry per client naming this node and the connection (connect time and serial), written
 * on connect, removed or kept as offline-persistent on disconnect only while it is still that
 * connection's. stop() waits for the writes already issued, so the node's last disconnects land.
 */
export class RedisPresence implements PresenceDirectory {
  private readonly directory: RedisPresenceDirectory;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: RedisPresenceOptions) {
    this.directory = new RedisPresenceDirectory(options);
  }

  start(): Promise<void> {
    return this.directory.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.directory.stop();
  }

  connected(ctx: ClientContext): Promise<void> {
    return this.track(this.directory.connected(ctx.instanceId, ctx.clientId, connectionToken(ctx), !ctx.cleanSession));
  }

  async disconnected(ctx: ClientContext): Promise<void> {
    await this.track(this.directory.disconnected(ctx.instanceId, ctx.clientId, connectionToken(ctx)));
  }

  locate(instanceId: string, clientId: string): Promise<ClientLocation> {
    return this.directory.locate(instanceId, clientId);
  }

  private track<T>(write: Promise<T>): Promise<T> {
    this.pending.add(write);
    const forget = (): void => void this.pending.delete(write);
    write.then(forget, forget);
    return write;
  }
}

/** Names one connection of this node, also across a restart under the same node ID. */
function connectionToken(ctx: ClientContext): string {
  return `${ctx.connectedAt.toString(36)}.${ctx.serial}`;
}
