import type { DataSource } from 'typeorm';
import { AccessKeyRepository, TypeOrmAccessKeyRepository } from './access-key.repository.js';
import { ClientSessionRepository, TypeOrmClientSessionRepository } from './client-session.repository.js';
import { DatabaseHealth, TypeOrmDatabaseHealth } from './database-health.js';
import { DeviceCredentialRepository, TypeOrmDeviceCredentialRepository } from './device-credential.repository.js';
import { GatewayNodeRepository, TypeOrmGatewayNodeRepository } from './gateway-node.repository.js';
import { GroupRepository, TypeOrmGroupRepository } from './group.repository.js';
import { InstanceTrafficRepository, TypeOrmInstanceTrafficRepository } from './instance-traffic.repository.js';
import { InstanceRepository, TypeOrmInstanceRepository } from './instance.repository.js';
import { ParentTopicRepository, TypeOrmParentTopicRepository } from './parent-topic.repository.js';
import { RuleRepository, TypeOrmRuleRepository } from './rule.repository.js';
import { TokenRepository, TypeOrmTokenRepository } from './token.repository.js';

/** An abstract repository (the DI token apps depend on) and how to build its implementation. */
export interface RepositoryBinding {
  token: abstract new () => unknown;
  create(dataSource: DataSource): unknown;
}

const bind = <T>(token: abstract new () => T, impl: new (dataSource: DataSource) => T): RepositoryBinding => ({
  token,
  create: (dataSource) => new impl(dataSource),
});

/**
 * Every repository the console uses, bound to its TypeORM implementation: apps register these
 * as providers and never build a repository (nor import TypeORM) themselves.
 */
export const CONSOLE_REPOSITORIES: readonly RepositoryBinding[] = [
  bind(InstanceRepository, TypeOrmInstanceRepository),
  bind(ParentTopicRepository, TypeOrmParentTopicRepository),
  bind(GroupRepository, TypeOrmGroupRepository),
  bind(AccessKeyRepository, TypeOrmAccessKeyRepository),
  bind(TokenRepository, TypeOrmTokenRepository),
  bind(DeviceCredentialRepository, TypeOrmDeviceCredentialRepository),
  bind(RuleRepository, TypeOrmRuleRepository),
  bind(ClientSessionRepository, TypeOrmClientSessionRepository),
  bind(InstanceTrafficRepository, TypeOrmInstanceTrafficRepository),
  bind(GatewayNodeRepository, TypeOrmGatewayNodeRepository),
  bind(DatabaseHealth, TypeOrmDatabaseHealth),
];
