import { createHash } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { loadConfig } from '#config';
import { AccessKeyRepository, InstanceRepository, ParentTopicRepository, TokenRepository } from '#domain/persistence';
import { pino } from 'pino';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../console.tokens.js';
import { InstancesService } from '../instances/instances.service.js';
import { ConsoleMessaging } from '../messaging/console-messaging.js';
import { ControlPublisher } from '../messaging/control.publisher.js';
import { InMemoryConsoleMessaging } from '../messaging/in-memory-console-messaging.js';
import {
  InMemoryAccessKeyRepository, InMemoryInstanceRepository, InMemoryParentTopicRepository, InMemoryTokenRepository,
} from '../testing/in-memory-repositories.js';
import { ActionBeyondKeyError } from './action-beyond-key.error.js';
import { MAX_TOKEN_LIFETIME_MS, TokensService } from './tokens.service.js';

/** The stored form of a token (SHA-256 hex), computed independently of hashToken. */
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('TokensService', () => {
  const now = 1_800_000_000_000;
  let service: TokensService;
  let tokens: InMemoryTokenRepository;
  let messaging: InMemoryConsoleMessaging;
  let keys: InMemoryAccessKeyRepository;
  const admin = { kind: 'admin' } as const;
  const asKey = { kind: 'access-key', accessKeyId: 'AK1', instanceId: 'fmq-aaaaaa' } as const;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        TokensService, InstancesService, ControlPublisher,
        { provide: InstanceRepository, useClass: InMemoryInstanceRepository },
        { provide: ParentTopicRepository, useClass: InMemoryParentTopicRepository },
        { provide: AccessKeyRepository, useClass: InMemoryAccessKeyRepository },
        { provide: TokenRepository, useClass: InMemoryTokenRepository },
        { provide: ConsoleMessaging, useClass: InMemoryConsoleMessaging },
        { provide: CONSOLE_CONFIG, useValue: loadConfig('all-in-one', {}) },
        { provide: CONSOLE_LOGGER, useValue: pino({ level: 'silent' }) },
      ],
    }).compile();
    service = moduleRef.get(TokensService);
    tokens = moduleRef.get(TokenRepository);
    messaging = moduleRef.get(ConsoleMessaging);
    await moduleRef.get<InMemoryInstanceRepository>(InstanceRepository).create({ id: 'fmq-aaaaaa', name: 'a', description: '' });
    await moduleRef.get<InMemoryInstanceRepository>(InstanceRepository).create({ id: 'fmq-bbbbbb', name: 'b', description: '' });
    await moduleRef.get<InMemoryParentTopicRepository>(ParentTopicRepository).create({ instanceId: 'fmq-aaaaaa', name: 'telemetry', description: '' });
    keys = moduleRef.get<InMemoryAccessKeyRepository>(AccessKeyRepository);
    await keys.create({ accessKeyId: 'AK1', instanceId: 'fmq-aaaaaa', secretEncrypted: 'x', permission: 'ALL', description: '' });
    await keys.create({ accessKeyId: 'AK2', instanceId: 'fmq-bbbbbb', secretEncrypted: 'x', permission: 'ALL', description: '' });
  });

  const request = (over: Partial<{ resources: string[]; actions: 'R' | 'W' | 'RW'; expireTime: number; accessKeyId: string }> = {}) => ({
    resources: ['telemetry/#'], actions: 'RW' as const, expireTime: now + 60_000, accessKeyId: 'AK1', ...over,
  });

  const fieldsOf = async (p: Promise<unknown>): Promise<string[]> => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).errors.map((e) => e.field).sort();
  };

  describe('apply', () => {
    it('stores only the hash of the token it returns', async () => {
      const { token, entity } = await service.apply('fmq-aaaaaa', admin, request(), now);
      expect(entity.tokenHash).toBe(sha256Hex(token));
      expect(tokens.rows.has(token)).toBe(false);
      expect(entity.expiresAt.getTime()).toBe(now + 60_000);
    });

    it('takes the access key from Basic auth when the body has none', async () => {
      const { entity } = await service.apply('fmq-aaaaaa', asKey, request({ accessKeyId: undefined }), now);
      expect(entity.accessKeyId).toBe('AK1');
    });

    it('requires an access key of the instance with the admin token', async () => {
      expect(await fieldsOf(service.apply('fmq-aaaaaa', admin, request({ accessKeyId: undefined }), now))).toEqual(['accessKeyId']);
      expect(await fieldsOf(service.apply('fmq-aaaaaa', admin, request({ accessKeyId: 'AK2' }), now))).toEqual(['accessKeyId']);
    });

    it('refuses a past or too distant expiry', async () => {
      expect(await fieldsOf(service.apply('fmq-aaaaaa', admin, request({ expireTime: now }), now))).toEqual(['expireTime']);
      expect(await fieldsOf(service.apply('fmq-aaaaaa', admin, request({ expireTime: now + MAX_TOKEN_LIFETIME_MS + 1 }), now))).toEqual(['expireTime']);
    });

    it('names each resource that is invalid or outside the parent topics', async () => {
      const fields = await fieldsOf(service.apply('fmq-aaaaaa', admin, request({ resources: ['telemetry/a', 'cmd/#', '#', 'telemetry/#/x'] }), now));
      expect(fields).toEqual(['resources.1', 'resources.2', 'resources.3']);
    });

    it('refuses (403, naming the action) a token that grants more than its key', async () => {
      await keys.create({ accessKeyId: 'AKPUB', instanceId: 'fmq-aaaaaa', secretEncrypted: 'x', permission: 'PUB', description: '' });
      await keys.create({ accessKeyId: 'AKSUB', instanceId: 'fmq-aaaaaa', secretEncrypted: 'x', permission: 'SUB', description: '' });
      const pubKey = { kind: 'access-key', accessKeyId: 'AKPUB', instanceId: 'fmq-aaaaaa' } as const;
      for (const [principal, accessKeyId, actions, named] of [
        [pubKey, undefined, 'R', 'R (subscribe)'],
        [pubKey, undefined, 'RW', 'R (subscribe)'],
        [admin, 'AKSUB', 'W', 'W (publish)'],
        [admin, 'AKSUB', 'RW', 'W (publish)'],
      ] as const) {
        const err = await service.apply('fmq-aaaaaa', principal, request({ accessKeyId, actions }), now).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(ActionBeyondKeyError);
        expect((err as ActionBeyondKeyError).status).toBe(403);
        expect((err as Error).message).toContain(named);
      }
      expect(tokens.rows.size).toBe(0);
      expect((await service.apply('fmq-aaaaaa', pubKey, request({ accessKeyId: undefined, actions: 'W' }), now)).entity.actions).toBe('W');
      expect((await service.apply('fmq-aaaaaa', admin, request({ accessKeyId: 'AKSUB', actions: 'R' }), now)).entity.actions).toBe('R');
    });

    it('404s an unknown instance', async () => {
      await expect(service.apply('fmq-zzzzzz', admin, request(), now)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('query', () => {
    it('finds the token of this instance only, and only for its own key', async () => {
      const { token } = await service.apply('fmq-aaaaaa', admin, request(), now);
      expect((await service.query('fmq-aaaaaa', asKey, token)).accessKeyId).toBe('AK1');
      await expect(service.query('fmq-bbbbbb', admin, token)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.query('fmq-aaaaaa', { ...asKey, accessKeyId: 'AK9' }, token)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('revoke', () => {
    it('marks the token revoked and publishes token-revoked with its hash', async () => {
      const { token } = await service.apply('fmq-aaaaaa', admin, request(), now);
      await service.revoke('fmq-aaaaaa', admin, token, new Date(now));
      expect(tokens.rows.get(sha256Hex(token))?.revokedAt).toEqual(new Date(now));
      expect(messaging.control).toEqual([{ type: 'token-revoked', instanceId: 'fmq-aaaaaa', tokenHash: sha256Hex(token) }]);
    });

    it('still revokes when the control command cannot be published', async () => {
      const { token } = await service.apply('fmq-aaaaaa', admin, request(), now);
      messaging.failWith = new Error('down');
      await service.revoke('fmq-aaaaaa', admin, token);
      expect(tokens.rows.get(sha256Hex(token))?.revokedAt).not.toBeNull();
    });
  });
});
