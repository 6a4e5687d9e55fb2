import type { DataSource, Repository } from 'typeorm';
import { DeviceCredentialEntity } from '../entities/device-credential.entity.js';
import type { DeviceCredentialRow } from '../rows.js';

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

  find(instanceId: string, clientId: string): Promise<DeviceCredentialEntity | null> {
    return this.repo.findOneBy({ instanceId, clientId });
  }

  findByKeyId(deviceAccessKeyId: string): Promise<DeviceCredentialEntity | null> {
    return this.repo.findOneBy({ deviceAccessKeyId });
  }

  async create(credential: { instanceId: string; clientId: string } & DeviceKey): Promise<DeviceCredentialEntity> {
    await this.repo.insert(credential);
    return this.repo.findOneByOrFail({ instanceId: credential.instanceId, clientId: credential.clientId });
  }

  async replaceKey(instanceId: string, clientId: string, key: DeviceKey): Promise<DeviceCredentialEntity | null> {
    const result = await this.repo.update({ instanceId, clientId }, key);
    if (result.affected === 0) return null;
    return this.repo.findOneBy({ instanceId, clientId });
  }

  async delete(instanceId: string, clientId: string): Promise<boolean> {
    const result = await this.repo.delete({ instanceId, clientId });
    return (result.affected ?? 0) > 0;
  }
}
