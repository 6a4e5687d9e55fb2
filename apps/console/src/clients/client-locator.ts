import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { FleetMqConfig, Logger } from '#config';
import { RedisPresenceDirectory, type ClientLocation } from '#messaging';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../console.tokens.js';

/**
 * Where a client is connected now, from the gateway tier's one authority: the presence
 * directory in Redis when the gateways share the Redis session store (FLEETMQ_SESSION_STORE=redis
 * and REDIS_URL given to the console too). Without it (memory store) each node's own registry is
 * the authority and `client_sessions` mirrors it, so `locate` answers undefined and the row stands.
 */
@Injectable()
export class ClientLocator implements OnApplicationShutdown {
  private readonly directory: RedisPresenceDirectory | undefined;

  constructor(@Inject(CONSOLE_CONFIG) config: FleetMqConfig, @Inject(CONSOLE_LOGGER) logger: Logger) {
    if (config.sessionStore === 'redis' && config.redisUrl !== undefined) {
      // A reader: it connects on its first lookup and writes nothing.
      this.directory = new RedisPresenceDirectory({ redisUrl: config.redisUrl, logger });
    }
  }

  async locate(instanceId: string, clientId: string): Promise<ClientLocation | undefined> {
    return this.directory?.locate(instanceId, clientId);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.directory?.stop();
  }
}
