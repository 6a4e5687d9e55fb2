import type { Logger } from '#config';
import type { ControlChannel, ControlCommand } from '#messaging';
import type { ConnectionRegistry, CredentialInvalidation } from '../gateway.ports.js';
import type { BridgeMetrics } from './bridge.metrics.js';

/**
 * `fleetmq.control` commands from the console: kicks close the client if it is connected to this
 * node; revocations drop cached credentials and close the connections that used them (the core
 * re-checks the credential, so a refreshed one survives); a deleted instance has all its
 * connections here closed and everything cached of it dropped.
 */
export class ControlBridge {
  constructor(
    private readonly channel: ControlChannel,
    private readonly registry: ConnectionRegistry,
    private readonly credentials: CredentialInvalidation,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    return this.channel.start((command) => this.handle(command));
  }

  stop(): Promise<void> {
    return this.channel.stop();
  }

  async handle(command: ControlCommand): Promise<void> {
    this.metrics.control.labels(command.type).inc();
    try {
      const closed = await this.apply(command);
      if (closed > 0) this.logger.info({ command: command.type, instanceId: command.instanceId, closed }, 'control command closed connections');
    } catch (err) {
      // A command that fails here must not stop the ones behind it.
      this.logger.warn({ err: String(err), command: command.type, instanceId: command.instanceId }, 'control command failed');
    }
  }

  private async apply(command: ControlCommand): Promise<number> {
    switch (command.type) {
      case 'kick':
        return this.registry.close(command.instanceId, command.clientId, 'kicked') ? 1 : 0;
      case 'token-revoked':
        return this.credentials.invalidateToken(command.tokenHash);
      case 'key-disabled':
        return this.credentials.invalidateAccessKey(command.accessKeyId);
      case 'credential-revoked': {
        const keyId = command.accessKeyId ?? this.registry.get(command.instanceId, command.clientId)?.credential.deviceAccessKeyId;
        return keyId === undefined ? 0 : this.credentials.invalidateDeviceCredential(keyId);
      }
      case 'instance-deleted':
        return this.credentials.dropInstance(command.instanceId);
      case 'rules-changed':
        // Rules live in the rule-router; the gateway caches instance settings only.
        return 0;
    }
  }
}
