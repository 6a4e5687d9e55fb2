import { type DataSource, type Repository } from 'typeorm';
import type { Permission, TokenAction } from '../../index.js';
import { AccessKeyEntity } from '../entities/access-key.entity.js';
import { DeviceCredentialEntity } from '../entities/device-credential.entity.js';
import { GroupEntity } from '../entities/group.entity.js';
import { InstanceEntity } from '../entities/instance.entity.js';
import { ParentTopicEntity } from '../entities/parent-topic.entity.js';
import { TokenEntity } from '../entities/token.entity.js';

/** An access key as the gateway checks it on CONNECT, secret already decrypted. */
export interface AccessKeyCredential {
  accessKeyId: string;
  instanceId: string;
  secret: string;
  permission: Permission;
  enabled: boolean;
}

export interface TokenCredential {
  tokenHash: string;
  instanceId: string;
  accessKeyId: string;
  resources: string[];
  actions: TokenAction;
  /** ms since epoch */
  expiresAt: number;
  revoked: boolean;
}

export interface DeviceCredentialRecord {
  deviceAccessKeyId: string;
  instanceId: string;
  clientId: string;
  secret: string;
}

export interface InstanceRecord {
  id: string;
  anonymous: boolean;
}

/**
 * Read-only lookups the gateway makes on CONNECT and for ACL decisions. Secrets come back
 * decrypted through `decrypt` (the SecretBox of #auth), which keeps #domain free of crypto.
 */
export abstract class CredentialLookupRepository {
  abstract findInstance(instanceId: string): Promise<InstanceRecord | null>;
  /** The key when it exists in that instance (a key of another instance is not found). */
  abstract findAccessKey(instanceId: string, accessKeyId: string): Promise<AccessKeyCredential | null>;
  abstract findToken(tokenHash: string): Promise<TokenCredential | null>;
  abstract findDeviceCredential(deviceAccessKeyId: string): Promise<DeviceCredentialRecord | null>;
  abstract groupExists(instanceId: string, groupId: string): Promise<boolean>;
  abstract parentTopics(instanceId: string): Promise<string[]>;
}

export class TypeOrmCredentialLookupRepository extends CredentialLookupRepository {
  private readonly instances: Repository<InstanceEntity>;
  private readonly keys: Repository<AccessKeyEntity>;
  private readonly tokens: Repository<TokenEntity>;
  private readonly devices: Repository<DeviceCredentialEntity>;
  private readonly groups: Repository<GroupEntity>;
  private readonly topics: Repository<ParentTopicEntity>;

  constructor(dataSource: DataSource, private readonly decrypt: (boxed: string) => string) {
    super();
    this.instances = dataSource.getRepository(InstanceEntity);
    this.keys = dataSource.getRepository(AccessKeyEntity);
    this.tokens = dataSource.getRepository(TokenEntity);
    this.devices = dataSource.getRepository(DeviceCredentialEntity);
    this.groups = dataSource.getRepository(GroupEntity);
    this.topics = dataSource.getRepository(ParentTopicEntity);
  }

  async findInstance(instanceId: string): Promise<InstanceRecord | null> {
    const row = await this.instances.findOne({ where: { id: instanceId }, select: { id: true, anonymous: true } });
    return row === null ? null : { id: row.id, anonymous: row.anonymous };
  }

  async findAccessKey(instanceId: string, accessKeyId: string): Promise<AccessKeyCredential | null> {
    const row = await this.keys.findOneBy({ accessKeyId, instanceId });
    if (row === null) return null;
    return {
      accessKeyId: row.accessKeyId,
      instanceId: row.instanceId,
      secret: this.decrypt(row.secretEncrypted),
      permission: row.permission,
      enabled: row.enabled,
    };
  }

  async findToken(tokenHash: string): Promise<TokenCredential | null> {
    const row = await this.tokens.findOneBy({ tokenHash });
    if (row === null) return null;
    return {
      tokenHash: row.tokenHash,
      instanceId: row.instanceId,
      accessKeyId: row.accessKeyId,
      resources: row.resources,
      actions: row.actions,
      expiresAt: row.expiresAt.getTime(),
      revoked: row.revokedAt !== null,
    };
  }

  async findDeviceCredential(deviceAccessKeyId: string): Promise<DeviceCredentialRecord | null> {
    const row = await this.devices.findOneBy({ deviceAccessKeyId });
    if (row === null) return null;
    return {
      deviceAccessKeyId: row.deviceAccessKeyId,
      instanceId: row.instanceId,
      clientId: row.clientId,
      secret: this.decrypt(row.secretEncrypted),
    };
  }

  groupExists(instanceId: string, groupId: string): Promise<boolean> {
    return this.groups.existsBy({ instanceId, groupId });
  }

  async parentTopics(instanceId: string): Promise<string[]> {
    const rows = await this.topics.find({ where: { instanceId }, select: { name: true } });
    return rows.map((r) => r.name);
  }
}
