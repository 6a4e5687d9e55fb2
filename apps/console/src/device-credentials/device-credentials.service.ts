import { Injectable } from '@nestjs/common';
import { generateAccessKeyId, generateSecret, SecretBox } from '#auth';
import { parseClientId } from '#domain';
import { DeviceCredentialRepository, GroupRepository, type DeviceCredentialRow } from '#domain/persistence';
import { DuplicateError, InvalidInputError, NotFoundError } from '../common/errors.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';

export interface DeviceCredential {
  clientId: string;
  deviceAccessKeyId: string;
  deviceAccessKeySecret: string;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class DeviceCredentialsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly groups: GroupRepository,
    private readonly credentials: DeviceCredentialRepository,
    private readonly secretBox: SecretBox,
    private readonly control: ControlPublisher,
  ) {}

  async create(instanceId: string, clientId: string): Promise<DeviceCredential> {
    await this.instances.get(instanceId);
    const parsed = parseClientId(clientId);
    if (!parsed) throw InvalidInputError.field('clientId', 'must be GID_<group>@@@<device> of [A-Za-z0-9_-], at most 64 characters');
    if (!(await this.groups.find(instanceId, parsed.groupId))) {
      throw InvalidInputError.field('clientId', `group '${parsed.groupId}' does not exist in the instance`);
    }
    if (await this.credentials.find(instanceId, clientId)) throw new DuplicateError('device credential', clientId);
    const secret = generateSecret();
    const entity = await this.credentials.create({
      instanceId,
      clientId,
      deviceAccessKeyId: generateAccessKeyId(),
      secretEncrypted: this.secretBox.encrypt(secret),
    });
    return this.toCredential(entity, secret);
  }

  async get(instanceId: string, clientId: string): Promise<DeviceCredential> {
    return this.toCredential(await this.find(instanceId, clientId));
  }

  /** New key pair; the old one stops working (gateways drop it on `credential-revoked`). */
  async refresh(instanceId: string, clientId: string): Promise<DeviceCredential> {
    const old = await this.find(instanceId, clientId);
    const secret = generateSecret();
    const entity = await this.credentials.replaceKey(instanceId, clientId, {
      deviceAccessKeyId: generateAccessKeyId(),
      secretEncrypted: this.secretBox.encrypt(secret),
    });
    if (!entity) throw new NotFoundError('device credential', clientId);
    await this.control.afterChange({ type: 'credential-revoked', instanceId, clientId, accessKeyId: old.deviceAccessKeyId });
    return this.toCredential(entity, secret);
  }

  async delete(instanceId: string, clientId: string): Promise<void> {
    const old = await this.find(instanceId, clientId);
    if (!(await this.credentials.delete(instanceId, clientId))) throw new NotFoundError('device credential', clientId);
    await this.control.afterChange({ type: 'credential-revoked', instanceId, clientId, accessKeyId: old.deviceAccessKeyId });
  }

  private async find(instanceId: string, clientId: string): Promise<DeviceCredentialRow> {
    await this.instances.get(instanceId);
    const entity = await this.credentials.find(instanceId, clientId);
    if (!entity) throw new NotFoundError('device credential', clientId);
    return entity;
  }

  private toCredential(e: DeviceCredentialRow, secret?: string): DeviceCredential {
    return {
      clientId: e.clientId,
      deviceAccessKeyId: e.deviceAccessKeyId,
      deviceAccessKeySecret: secret ?? this.secretBox.decrypt(e.secretEncrypted),
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
    };
  }
}
