import { Injectable } from '@nestjs/common';
import { generateAccessKeyId, generateSecret, SecretBox } from '#auth';
import type { Permission } from '#domain';
import { AccessKeyRepository, type AccessKeyRow } from '#domain/persistence';
import { NotFoundError } from '../common/errors.js';
import { decodeCursor, encodeCursor, type ListPage } from '../common/pagination.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';

@Injectable()
export class AccessKeysService {
  constructor(
    private readonly instances: InstancesService,
    private readonly keys: AccessKeyRepository,
    private readonly secretBox: SecretBox,
    private readonly control: ControlPublisher,
  ) {}

  async create(instanceId: string, input: { permission: Permission; description?: string }): Promise<{ key: AccessKeyRow; secretKey: string }> {
    await this.instances.get(instanceId);
    const secretKey = generateSecret();
    const key = await this.keys.create({
      accessKeyId: generateAccessKeyId(),
      instanceId,
      secretEncrypted: this.secretBox.encrypt(secretKey),
      permission: input.permission,
      description: input.description ?? '',
    });
    return { key, secretKey };
  }

  async list(instanceId: string, limit: number, cursor?: string): Promise<ListPage<AccessKeyRow>> {
    await this.instances.get(instanceId);
    const page = await this.keys.list(instanceId, limit, decodeCursor(cursor));
    return { items: page.items, nextCursor: encodeCursor(page.nextKey) };
  }

  /** The key of this instance, or NotFoundError (a key of another instance is not found here). */
  async get(instanceId: string, accessKeyId: string): Promise<AccessKeyRow> {
    await this.instances.get(instanceId);
    const key = await this.keys.find(accessKeyId);
    if (!key || key.instanceId !== instanceId) throw new NotFoundError('access key', accessKeyId);
    return key;
  }

  async update(instanceId: string, accessKeyId: string, patch: { enabled?: boolean; description?: string }): Promise<AccessKeyRow> {
    const before = await this.get(instanceId, accessKeyId);
    const updated = await this.keys.update(accessKeyId, patch);
    if (!updated) throw new NotFoundError('access key', accessKeyId);
    if (before.enabled && !updated.enabled) {
      await this.control.afterChange({ type: 'key-disabled', instanceId, accessKeyId });
    }
    return updated;
  }

  async delete(instanceId: string, accessKeyId: string): Promise<void> {
    await this.get(instanceId, accessKeyId);
    if (!(await this.keys.delete(accessKeyId))) throw new NotFoundError('access key', accessKeyId);
    await this.control.afterChange({ type: 'key-disabled', instanceId, accessKeyId });
  }
}
