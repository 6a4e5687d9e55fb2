import { Test } from '@nestjs/testing';
import { loadConfig } from '#config';
import { InstanceRepository, ParentTopicRepository } from '#domain/persistence';
import { pino } from 'pino';
import { InvalidInputError, UnavailableError } from '../common/errors.js';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../console.tokens.js';
import { InstancesService } from '../instances/instances.service.js';
import { ConsoleMessaging } from '../messaging/console-messaging.js';
import { ControlPublisher } from '../messaging/control.publisher.js';
import { InMemoryConsoleMessaging } from '../messaging/in-memory-console-messaging.js';
import { InMemoryInstanceRepository, InMemoryParentTopicRepository } from '../testing/in-memory-repositories.js';
import { MessagesService } from './messages.service.js';

describe('MessagesService', () => {
  let service: MessagesService;
  let messaging: InMemoryConsoleMessaging;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        MessagesService, InstancesService, ControlPublisher,
        { provide: CONSOLE_LOGGER, useValue: pino({ level: 'silent' }) },
        { provide: InstanceRepository, useClass: InMemoryInstanceRepository },
        { provide: ParentTopicRepository, useClass: InMemoryParentTopicRepository },
        { provide: ConsoleMessaging, useClass: InMemoryConsoleMessaging },
        { provide: CONSOLE_CONFIG, useValue: loadConfig('all-in-one', { FLEETMQ_MAX_PAYLOAD_BYTES: '8' }) },
      ],
    }).compile();
    service = moduleRef.get(MessagesService);
    messaging = moduleRef.get(ConsoleMessaging);
    await moduleRef.get<InMemoryInstanceRepository>(InstanceRepository).create({ id: 'fmq-aaaaaa', name: 'a', description: '' });
    await moduleRef.get<InMemoryParentTopicRepository>(ParentTopicRepository).create({ instanceId: 'fmq-aaaaaa', name: 'cmd', description: '' });
  });

  const fieldsOf = async (p: Promise<unknown>): Promise<string[]> => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).errors.map((e) => e.field).sort();
  };

  describe('send', () => {
    it('decodes the payload and applies the defaults', async () => {
      const msgId = await service.send('fmq-aaaaaa', { topic: 'cmd/x', payload: 'aGk=', encoding: 'base64' });
      expect(messaging.downlink).toEqual([{ instanceId: 'fmq-aaaaaa', topic: 'cmd/x', payload: Buffer.from('hi'), qos: 1, retain: false, msgId }]);
    });

    it('sends a P2P-shaped topic to its target alone, with or without a clientId that repeats it', async () => {
      await service.send('fmq-aaaaaa', { topic: 'cmd/p2p/GID_a@@@b', payload: 'x' });
      await service.send('fmq-aaaaaa', { topic: 'cmd/p2p/GID_a@@@b', payload: 'y', clientId: 'GID_a@@@b' });
      expect(messaging.downlink.map((m) => [m.topic, m.targetClientId])).toEqual([
        ['cmd/p2p/GID_a@@@b', 'GID_a@@@b'],
        ['cmd/p2p/GID_a@@@b', 'GID_a@@@b'],
      ]);
    });

    it.each([
      [{ topic: 'cmd/p2p/GID_a@@@b', clientId: 'GID_a@@@c' }, ['clientId']],
      [{ topic: 'cmd/x', clientId: 'GID_a@@@b' }, ['clientId']],
      [{ topic: 'cmd/p2p/GID_a@@@b/x' }, ['topic']],
      [{ topic: 'cmd/p2p/not-a-client-id' }, ['topic']],
      [{ topic: 'cmd/p2p/GID_a@@@b', retain: true }, ['retain']],
    ])('refuses %j naming %j, and sends nothing', async (input, fields) => {
      expect(await fieldsOf(service.send('fmq-aaaaaa', { payload: '', ...input }))).toEqual(fields);
      expect(messaging.downlink).toHaveLength(0);
    });

    it('applies the same P2P rule in the anonymous default instance, with any client ID', async () => {
      await service.send('default', { topic: 'demo/p2p/device-1', payload: '' });
      expect(messaging.downlink[0]!.targetClientId).toBe('device-1');
      expect(await fieldsOf(service.send('default', { topic: 'demo/x', payload: '', clientId: 'device-1' }))).toEqual(['clientId']);
    });

    it('counts the payload limit in bytes, not characters', async () => {
      expect(await fieldsOf(service.send('fmq-aaaaaa', { topic: 'cmd/x', payload: 'ééééé' }))).toEqual(['payload']);
      await service.send('fmq-aaaaaa', { topic: 'cmd/x', payload: 'éééé' });
    });

    it('turns a messaging failure into UnavailableError', async () => {
      messaging.failWith = new Error('down');
      await expect(service.send('fmq-aaaaaa', { topic: 'cmd/x', payload: '' })).rejects.toBeInstanceOf(UnavailableError);
    });
  });

  describe('sendBatch', () => {
    it('sends nothing when one message is bad, naming its index', async () => {
      const fields = await fieldsOf(service.sendBatch('fmq-aaaaaa', [{ topic: 'cmd/a', payload: '' }, { topic: 'telemetry/a', payload: '' }]));
      expect(fields).toEqual(['messages.1.topic']);
      expect(messaging.downlink).toHaveLength(0);
    });

    it('names the clientId of the message that contradicts its topic', async () => {
      const batch = [{ topic: 'cmd/p2p/GID_a@@@b', payload: '' }, { topic: 'cmd/p2p/GID_a@@@b', payload: '', clientId: 'GID_a@@@c' }];
      expect(await fieldsOf(service.sendBatch('fmq-aaaaaa', batch))).toEqual(['messages.1.clientId']);
      expect(messaging.downlink).toHaveLength(0);
    });

    it('keeps the order of the batch', async () => {
      const ids = await service.sendBatch('fmq-aaaaaa', [{ topic: 'cmd/1', payload: '' }, { topic: 'cmd/2', payload: '' }]);
      expect(messaging.downlink.map((m) => [m.topic, m.msgId])).toEqual([['cmd/1', ids[0]], ['cmd/2', ids[1]]]);
    });
  });
});
