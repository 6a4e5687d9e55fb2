import { Test } from '@nestjs/testing';
import { InstanceRepository } from '#domain/persistence';
import { ConflictError, DuplicateError, InvalidInputError, NotFoundError } from '../common/errors.js';
import { InMemoryInstanceRepository } from '../testing/in-memory-repositories.js';
import { pino } from 'pino';
import { CONSOLE_LOGGER } from '../console.tokens.js';
import { ConsoleMessaging } from '../messaging/console-messaging.js';
import { ControlPublisher } from '../messaging/control.publisher.js';
import { InMemoryConsoleMessaging } from '../messaging/in-memory-console-messaging.js';
import { InstancesService } from './instances.service.js';

describe('InstancesService', () => {
  let service: InstancesService;
  let repo: InMemoryInstanceRepository;
  let messaging: InMemoryConsoleMessaging;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        InstancesService, ControlPublisher,
        { provide: InstanceRepository, useClass: InMemoryInstanceRepository },
        { provide: ConsoleMessaging, useClass: InMemoryConsoleMessaging },
        { provide: CONSOLE_LOGGER, useValue: pino({ level: 'silent' }) },
      ],
    }).compile();
    service = moduleRef.get(InstancesService);
    repo = moduleRef.get(InstanceRepository);
    messaging = moduleRef.get(ConsoleMessaging);
  });

  describe('create', () => {
    it('gives a generated fmq- ID and an empty description by default', async () => {
      const created = await service.create({ name: 'a' });
      expect(created.id).toMatch(/^fmq-[a-z0-9]{6}$/);
      expect(created.description).toBe('');
      expect(repo.rows.get(created.id)?.name).toBe('a');
    });

    it('throws DuplicateError for a taken name', async () => {
      await service.create({ name: 'a' });
      await expect(service.create({ name: 'a' })).rejects.toBeInstanceOf(DuplicateError);
    });
  });

  describe('list', () => {
    it('continues after the cursor of the previous page', async () => {
      for (const name of ['a', 'b', 'c']) await service.create({ name });
      const first = await service.list(2);
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).not.toBeNull();
      const second = await service.list(2, first.nextCursor ?? undefined);
      expect(second.nextCursor).toBeNull();
      const ids = [...first.items, ...second.items].map((i) => i.id);
      expect(new Set(ids).size).toBe(4);
    });

    it('refuses a cursor it did not make', async () => {
      await expect(service.list(2, 'bogus')).rejects.toBeInstanceOf(InvalidInputError);
    });
  });

  describe('get', () => {
    it('throws NotFoundError naming the instance', async () => {
      await expect(service.get('fmq-nope00')).rejects.toThrow(new NotFoundError('instance', 'fmq-nope00'));
    });
  });

  describe('update', () => {
    it('renames, but not onto another instance name', async () => {
      const a = await service.create({ name: 'a' });
      await service.create({ name: 'b' });
      expect((await service.update(a.id, { name: 'a2' })).name).toBe('a2');
      await expect(service.update(a.id, { name: 'b' })).rejects.toBeInstanceOf(DuplicateError);
      expect((await service.update(a.id, { name: 'a2', description: 'same name is fine' })).description).toBe('same name is fine');
    });
  });

  describe('delete', () => {
    it('removes an instance, refuses the default one, 404s an unknown one', async () => {
      const a = await service.create({ name: 'a' });
      await service.delete(a.id);
      expect(repo.rows.has(a.id)).toBe(false);
      // Gateways close its connections and drop its cached credentials on this command.
      expect(messaging.control).toEqual([{ type: 'instance-deleted', instanceId: a.id }]);
      await expect(service.delete('default')).rejects.toBeInstanceOf(ConflictError);
      await expect(service.delete(a.id)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
