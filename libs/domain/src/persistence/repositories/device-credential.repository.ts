import type { DataSource, Repository } from 'typeorm';
import { DeviceCredentialEntity } from '../entities/device-credential.entity.js';
import type { DeviceCredentialRow } from '../rows.js';
import { toRow, toRowOrNull } from './row-mapper.js';

export interface DeviceKey {
  deviceAccessKeyId: string;
  secretEncrypted: string;
}

export abstract class DeviceCredentialRepository {
  abstract find(instanceId: string, clientId: string): Promise<DeviceCredentialRow | null>;
  abstract findByKeyId(deviceAccessKeyId: string): Promise<DeviceCredentialRow | null>;
  abstract create(credential: { instanceId: string; clientId: string } & DeviceKey): Promise<DeviceCredentialRow>;
  /** Swaps the key pair; null when the credential does not exist. */
  abstract replaceKey(instanceId: string, clientId: string, key: DeviceKey): Promise<DeviceCredentialRow | null>;
  abstract delete(instanceId: string, clientId: string): Promise<boolean>;
}

export class TypeOrmDeviceCredentialRepository extends DeviceCredentialRepository {
  private readonly repo: Repository<DeviceCredentialEntity>;

  constructor(dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(DeviceCredentialEntity);
  }

  find(instanceId: string, clientId: string): Promise<DeviceCredentialRow | null> {
    return this.repo.findOneBy({ instanceId, clientId }).then(toRowOrNull);
  }

  findByKeyId(deviceAccessKeyId: string): Promise<DeviceCredentialRow | null> {
    return this.repo.findOneBy({ deviceAccessKeyId }).then(toRowOrNull);
  }

  async create(credential: { instanceId: string; clientId: string } & DeviceKey): Promise<DeviceCredentialRow> {
    await this.repo.insert(credential);
    return this.repo.findOneByOrFail({ instanceId: credential.instanceId, clientId: credential.clientId }).then(toRow);
  }

  async replaceKey(instanceId: string, clientId: string, key: DeviceKey): Promise<DeviceCredentialRow | null> {
    const result = await this.repo.update({ instanceId, clientId }, key);
    if (result.affected === 0) return null;
    return this.repo.findOneBy({ instanceId, clientId }).then(toRowOrNull);
  }

  async delete(instanceId: string, clientId: string): Promise<boolean> {
    const result = await this.repo.delete({ instanceId, clientId });
    return (result.affected ?? 0) > 0;
  }
}
