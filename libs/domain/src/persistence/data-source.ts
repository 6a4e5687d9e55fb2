import type { DataSourceOptions } from 'typeorm';
import { AccessKeyEntity } from './entities/access-key.entity.js';
import { ClientSessionEntity } from './entities/client-session.entity.js';
import { DeviceCredentialEntity } from './entities/device-credential.entity.js';
import { GatewayNodeEntity } from './entities/gateway-node.entity.js';
import { GroupEntity } from './entities/group.entity.js';
import { InstanceEntity } from './entities/instance.entity.js';
import { InstanceTrafficEntity } from './entities/instance-traffic.entity.js';
import { ParentTopicEntity } from './entities/parent-topic.entity.js';
import { RuleCounterEntity } from './entities/rule-counter.entity.js';
import { RuleEntity } from './entities/rule.entity.js';
import { TokenEntity } from './entities/token.entity.js';
import { InitialSchema1764072000000 } from './migrations/1764072000000-initial-schema.js';

export const ENTITIES = [
  InstanceEntity, ParentTopicEntity, GroupEntity, AccessKeyEntity, TokenEntity, DeviceCredentialEntity,
  RuleEntity, RuleCounterEntity, ClientSessionEntity, GatewayNodeEntity, InstanceTrafficEntity,
];

export const MIGRATIONS = [InitialSchema1764072000000];

export interface DataSourceSettings {
  /** PostgreSQL schema; tests use a fresh one per run. Created when missing. */
  schema?: string;
  /** Connection pool size. */
  poolSize?: number;
  applicationName?: string;
}

/**
 * Options for every FleetMQ process: migrations run at start (never `synchronize`), and the
 * connection fails fast so an unreachable database is reported instead of hanging.
 */
export function createDataSourceOptions(url: string, settings: DataSourceSettings = {}): DataSourceOptions {
  const schema = settings.schema;
  return {
    type: 'postgres',
    url,
    schema,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTableName: 'fleetmq_migrations',
    synchronize: false,
    logging: false,
    poolSize: settings.poolSize ?? 10,
    applicationName: settings.applicationName ?? 'fleetmq',
    connectTimeoutMS: 5000,
    extra: {
      // Search the private schema first so raw SQL in migrations lands there.
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      idleTimeoutMillis: 30_000,
    },
  };
}
