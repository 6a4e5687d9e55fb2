// Starts an MQTT gateway core on ephemeral ports over a fresh PostgreSQL schema, and seeds
// instances, keys, tokens and device credentials straight through the persistence entities.
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SecretBox, computeSignature, generateAccessKeyId, generateSecret, generateToken } from '#auth';
import { createLogger, loadConfig, type FleetMqConfig, type Logger } from '#config';
import type { Permission, TokenAction } from '#domain';
import {
  AccessKeyEntity,
  DeviceCredentialEntity,
  GroupEntity,
  InstanceEntity,
  ParentTopicEntity,
  TokenEntity,
  TypeOrmCredentialLookupRepository,
  openDataSource,
  type CredentialLookupRepository,
} from '#domain/persistence';
import { Gateway, type PublishForwarder } from '../../apps/gateway/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from './database.js';

/**
 * What FleetMQ stores for a token (DESIGN.md: SHA-256 hex of its text), computed here with
 * node:crypto so tests do not take the expected value from the code under test (hashToken).
 */
export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const TEST_MASTER_KEY = randomBytes(32).toString('hex');

export type ConfigOverrides = Partial<Omit<FleetMqConfig, 'limits'>> & { limits?: Partial<FleetMqConfig['limits']> };

/** A gateway config for tests: loopback, ephemeral ports, quiet logs. */
export function testGatewayConfig(overrides: ConfigOverrides = {}): FleetMqConfig {
  const base = loadConfig('gateway', {
    DATABASE_URL: testDatabaseUrl(),
    FLEETMQ_MASTER_KEY: TEST_MASTER_KEY,
    FLEETMQ_BIND_HOST: '127.0.0.1',
    FLEETMQ_MQTT_PORT: '0',
    FLEETMQ_MQTTS_PORT: '0',
    FLEETMQ_WS_PORT: '0',
    FLEETMQ_NODE_ID: `test-${randomBytes(3).toString('hex')}`,
    FLEETMQ_AUTH_FAILURES_PER_MINUTE: '10000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  });
  return { ...base, ...overrides, limits: { ...base.limits, ...overrides.limits } };
}

export interface TestGateway {
  gateway: Gateway;
  config: FleetMqConfig;
  dataSource: DataSource;
  seed: FleetSeed;
  box: SecretBox;
  mqttUrl: string;
  wsUrl: string;
  mqttsUrl?: string;
  port: number;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  config?: ConfigOverrides;
  forwarder?: PublishForwarder;
  /** Replaces the PostgreSQL lookups (e.g. one that fails, to see CONNACK 3). */
  credentials?: (real: CredentialLookupRepository) => CredentialLookupRepository;
  /** Reuse the schema of another test gateway instead of creating one. */
  dataSource?: DataSource;
  /** Defaults to a pino logger at config.logLevel (silent unless LOG_LEVEL is set). */
  logger?: Logger;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const schema = options.dataSource === undefined ? uniqueSchema('gw') : undefined;
  const dataSource = options.dataSource ?? (await openDataSource(testDatabaseUrl(), { schema, poolSize: 4 }));
  const box = new SecretBox(Buffer.from(TEST_MASTER_KEY, 'hex'));
  const config = testGatewayConfig(options.config);
  const real = new TypeOrmCredentialLookupRepository(dataSource, (boxed) => box.decrypt(boxed));
  const gateway = new Gateway({
    config,
    credentials: options.credentials ? options.credentials(real) : real,
    logger: options.logger ?? createLogger(config.logLevel),
    forwarder: options.forwarder,
  });
  const ports = await gateway.start();
  return {
    gateway,
    config,
    dataSource,
    seed: new FleetSeed(dataSource, box),
    box,
    port: ports.mqtt,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl: `ws://127.0.0.1:${ports.ws}/mqtt`,
    mqttsUrl: ports.mqtts === undefined ? undefined : `mqtts://127.0.0.1:${ports.mqtts}`,
    close: async () => {
      await gateway.stop();
      if (schema !== undefined) {
        await dataSource.destroy();
        await dropSchema(schema);
      }
    },
  };
}

export interface SeededInstance {
  id: string;
  topics: string[];
  groups: string[];
}

export interface Credentials {
  clientId: string;
  username: string;
  password: string;
}

/** Writes rows the console would create, straight through the entities. */
export class FleetSeed {
  constructor(
    readonly dataSource: DataSource,
    private readonly box: SecretBox,
  ) {}

  async instance(options: { topics?: string[]; groups?: string[] } = {}): Promise<SeededInstance> {
    const id = `fmq-${randomBytes(4).toString('hex')}`;
    const topics = options.topics ?? ['telemetry', 'cmd'];
    const groups = options.groups ?? ['GID_dev'];
    await this.dataSource.getRepository(InstanceEntity).insert({ id, name: id });
    for (const name of topics) await this.dataSource.getRepository(ParentTopicEntity).insert({ instanceId: id, name });
    for (const groupId of groups) await this.dataSource.getRepository(GroupEntity).insert({ instanceId: id, groupId });
    return { id, topics, groups };
  }

  async accessKey(instanceId: string, permission: Permission = 'ALL', enabled = true): Promise<{ accessKeyId: string; secret: string }> {
    const accessKeyId = generateAccessKeyId();
    const secret = generateSecret();
    await this.dataSource.getRepository(AccessKeyEntity).insert({
      accessKeyId,
      instanceId,
      secretEncrypted: this.box.encrypt(secret),
      permission,
      enabled,
    });
    return { accessKeyId, secret };
  }

  async token(
    instanceId: string,
    accessKeyId: string,
    resources: string[],
    actions: TokenAction,
    options: { expiresInMs?: number; revoked?: boolean } = {},
  ): Promise<{ token: string; hash: string }> {
    const token = generateToken();
    const hash = tokenHashOf(token);
    await this.dataSource.getRepository(TokenEntity).insert({
      tokenHash: hash,
      instanceId,
      accessKeyId,
      resources,
      actions,
      expiresAt: new Date(Date.now() + (options.expiresInMs ?? 3_600_000)),
      revokedAt: options.revoked ? new Date() : null,
    });
    return { token, hash };
  }

  async deviceCredential(instanceId: string, clientId: string): Promise<{ deviceAccessKeyId: string; secret: string }> {
    const deviceAccessKeyId = `DAK${randomBytes(8).toString('hex')}`;
    const secret = generateSecret();
    await this.dataSource.getRepository(DeviceCredentialEntity).insert({
      instanceId,
      clientId,
      deviceAccessKeyId,
      secretEncrypted: this.box.encrypt(secret),
    });
    return { deviceAccessKeyId, secret };
  }

  /** A client with signature credentials of a fresh access key. */
  async signatureClient(instanceId: string, clientId: string, permission: Permission = 'ALL'): Promise<Credentials> {
    const key = await this.accessKey(instanceId, permission);
    return signatureCredentials(instanceId, key.accessKeyId, key.secret, clientId);
  }
}

export function signatureCredentials(instanceId: string, accessKeyId: string, secret: string, clientId: string): Credentials {
  return { clientId, username: `Signature|${accessKeyId}|${instanceId}`, password: computeSignature(secret, clientId) };
}

export function tokenCredentials(instanceId: string, accessKeyId: string, clientId: string, password: string): Credentials {
  return { clientId, username: `Token|${accessKeyId}|${instanceId}`, password };
}

export function deviceCredentials(instanceId: string, deviceAccessKeyId: string, secret: string, clientId: string): Credentials {
  return { clientId, username: `DeviceCredential|${deviceAccessKeyId}|${instanceId}`, password: computeSignature(secret, clientId) };
}

/** A unique device client ID in group `group`. */
export function clientIdIn(group = 'GID_dev'): string {
  return `${group}@@@d${randomBytes(4).toString('hex')}`;
}
