import { Test } from '@nestjs/testing';
import { SecretBox } from '#auth';
import { createLogger } from '#config';
import { TypeOrmCredentialLookupRepository, openDataSource } from '#domain/persistence';
import type { DataSource } from 'typeorm';
import { Gateway, GatewayModule } from '../../apps/gateway/src/index.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { TEST_MASTER_KEY, testGatewayConfig } from '../helpers/gateway.js';
import { connackCode } from '../helpers/mqtt.js';

describe('GatewayModule (NestJS)', () => {
  const schema = uniqueSchema('gwmod');
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openDataSource(testDatabaseUrl(), { schema, poolSize: 2 });
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchema(schema);
  });

  it('starts the listeners on application init and stops them on close', async () => {
    const box = new SecretBox(Buffer.from(TEST_MASTER_KEY, 'hex'));
    const config = testGatewayConfig({ allowAnonymous: true });
    const moduleRef = await Test.createTestingModule({
      imports: [
        GatewayModule.forRootAsync({
          useFactory: () => ({
            config,
            credentials: new TypeOrmCredentialLookupRepository(ds, (b) => box.decrypt(b)),
            logger: createLogger('silent'),
          }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const gateway = app.get(Gateway);
    const port = gateway.ports!.mqtt;
    expect(await connackCode(`mqtt://127.0.0.1:${port}`, { clientId: 'nest' })).toBe(0);
    await app.close();
    expect(gateway.ports).toBeUndefined();
    expect(await connackCode(`mqtt://127.0.0.1:${port}`, { clientId: 'nest' })).not.toBe(0);
  });
});
