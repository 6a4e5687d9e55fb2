import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '#config';
import { UnavailableError } from '../common/errors.js';
import { CONSOLE_LOGGER } from '../console.tokens.js';
import { ConsoleMessaging, type ControlCommand } from './console-messaging.js';

/**
 * Publishes control commands. After a database change the command only speeds up cache
 * invalidation (caches expire anyway), so a failure there is logged, not answered with an
 * error that would make the caller repeat a change already made.
 */
@Injectable()
export class ControlPublisher {
  constructor(
    private readonly messaging: ConsoleMessaging,
    @Inject(CONSOLE_LOGGER) private readonly logger: Logger,
  ) {}

  async afterChange(command: ControlCommand): Promise<void> {
    try {
      await this.messaging.sendControl(command);
    } catch (err) {
      this.logger.warn({ err, command: command.type, instanceId: command.instanceId }, 'control command not published');
    }
  }

  /** For commands that are the whole action (kick): the caller must learn it failed. */
  async required(command: ControlCommand): Promise<void> {
    try {
      await this.messaging.sendControl(command);
    } catch (err) {
      throw new UnavailableError(`control command could not be published: ${(err as Error).message}`);
    }
  }
}
