import { Injectable } from '@nestjs/common';
import { ClientSessionRepository, type ClientSessionRow } from '#domain/persistence';
import { NotFoundError } from '../common/errors.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';
import { ClientLocator } from './client-locator.js';

@Injectable()
export class ClientsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly sessions: ClientSessionRepository,
    private readonly control: ControlPublisher,
    private readonly locator: ClientLocator,
  ) {}

  /**
   * The session record the holding node wrote (address, since, subscriptions, epoch), with online
   * and node from the presence directory when the tier has one: it is the authority, the row may
   * lag it by a flush. NotFoundError when the client was never seen.
   */
  async get(instanceId: string, clientId: string): Promise<ClientSessionRow> {
    await this.instances.get(instanceId);
    const session = await this.sessions.find(instanceId, clientId);
    if (!session) throw new NotFoundError('client', clientId);
    const location = await this.locator.locate(instanceId, clientId);
    if (location === undefined) return session;
    return location.state === 'online' ? { ...session, online: true, nodeId: location.nodeId } : { ...session, online: false };
  }

  /**
   * Asks the gateway nodes to close the client's connection; asynchronous by nature. The command
   * goes to every node on `fleetmq.control`, which each already consumes for revocations: the node
   * holding the connection closes it, even one that took it over after a lookup would have run.
   */
  async kick(instanceId: string, clientId: string): Promise<void> {
    await this.instances.get(instanceId);
    await this.control.required({ type: 'kick', instanceId, clientId });
  }
}
