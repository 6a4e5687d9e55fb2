import { Injectable } from '@nestjs/common';
import { ClientSessionRepository, type ClientSessionRow } from '#domain/persistence';
import { NotFoundError } from '../common/errors.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';

@Injectable()
export class ClientsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly sessions: ClientSessionRepository,
    private readonly control: ControlPublisher,
  ) {}

  /** The session as the gateway nodes last wrote it; NotFoundError when the client was never seen. */
  async get(instanceId: string, clientId: string): Promise<ClientSessionRow> {
    await this.instances.get(instanceId);
    const session = await this.sessions.find(instanceId, clientId);
    if (!session) throw new NotFoundError('client', clientId);
    return session;
  }

  /** Asks every gateway node to close the client's connection; asynchronous by nature. */
  async kick(instanceId: string, clientId: string): Promise<void> {
    await this.instances.get(instanceId);
    await this.control.required({ type: 'kick', instanceId, clientId });
  }
}
