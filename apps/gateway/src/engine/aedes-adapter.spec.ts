import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import { AEDES_VERSION, AedesAdapter, LazyIdSet, brokerIdFor, checkAedes, enqueueOffline, publishToClient, slimAedesClient } from './aedes-adapter.js';
import { withProbeClient } from './engine-version.js';
import { captureLogs } from '../../../../test/helpers/logs.js';

function fakeClient() {
  const client = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const parser = new EventEmitter();
  client.on('error', () => undefined);
  parser.on('packet', () => undefined);
  Object.assign(client, { _parser: parser, duplicates: Object.create(null), _inboundInflight: new Set<number>() });
  return { client, parser };
}

describe('slimAedesClient', () => {
  it('keeps listeners working and tables free of inherited names', () => {
    const { client, parser } = fakeClient();
    slimAedesClient(client);
    const seen: string[] = [];
    client.on('connected', () => seen.push('connected'));
    parser.on('error', () => seen.push('parser-error'));
    client.emit('connected');
    parser.emit('error', new Error('x'));
    parser.emit('packet', {});
    expect(seen).toEqual(['connected', 'parser-error']);
    expect(client.listenerCount('error')).toBe(1);
    client.removeAllListeners('connected');
    expect(client.eventNames()).toEqual(['error']);

    const duplicates = client.duplicates as Record<string, number>;
    expect(duplicates['constructor']).toBeUndefined();
    expect(duplicates['__proto__']).toBeUndefined();
    expect('toString' in duplicates).toBe(false);
    duplicates['broker-1'] = 3;
    expect(duplicates['broker-1']).toBe(3);
  });

  it('makes the inbound QoS 2 set lazily', () => {
    const { client } = fakeClient();
    slimAedesClient(client);
    expect(client._inboundInflight).toBeInstanceOf(LazyIdSet);
  });
});

describe('LazyIdSet', () => {
  it('behaves like the Set aedes uses', () => {
    const ids = new LazyIdSet();
    expect(ids.size).toBe(0);
    expect(ids.has(1)).toBe(false);
    expect(ids.delete(1)).toBe(false);
    ids.add(1).add(2).add(1);
    expect(ids.size).toBe(2);
    expect(ids.has(2)).toBe(true);
    expect(ids.delete(2)).toBe(true);
    expect(ids.size).toBe(1);
  });
});

describe('checkAedes', () => {
  /** A broker double with aedes' registerClient/clients, and a client made for it. */
  function brokerWithClients() {
    const registered: string[] = [];
    const broker = {
      clients: {} as Record<string, unknown>,
      registerClient(client: { id: string }) {
        registered.push(client.id);
        this.clients[client.id] = client;
      },
    };
    return { broker, registered };
  }

  it('is patched with the installed aedes: slims clients and reports takeovers before aedes closes the old client', async () => {
    const log = captureLogs();
    const adapter = await withProbeClient((probe) => checkAedes({ logger: log.logger, probe }));
    expect(adapter.state).toEqual({ engine: 'aedes', expectedVersion: AEDES_VERSION, foundVersion: AEDES_VERSION, patched: true });
    // npm install applied patches/aedes+1.2.0.patch to the installed aedes.
    expect(adapter.queueShortcut).toBe(true);
    expect(log.lines).toEqual([]);

    const { client } = fakeClient();
    adapter.slimClient(client);
    expect(client._inboundInflight).toBeInstanceOf(LazyIdSet);

    const { broker, registered } = brokerWithClients();
    const taken: string[] = [];
    adapter.watchTakeovers(broker as unknown as Aedes, (old) => taken.push(`${old.id}:${registered.length}`));
    const first = { id: 'c' };
    broker.registerClient(first);
    broker.registerClient({ id: 'c' });
    // The old client is reported before the second registration reaches aedes.
    expect(taken).toEqual(['c:1']);
  });

  it('falls back with a warning naming aedes, the expected and the found version when the version differs', async () => {
    const log = captureLogs();
    const adapter = await withProbeClient((probe) => checkAedes({ logger: log.logger, probe, foundVersion: '1.3.0' }));
    expect(adapter.patched).toBe(false);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'aedes', expectedVersion: AEDES_VERSION, foundVersion: '1.3.0', reason: 'version differs' });
    expect(String(log.lines[0]!.lost)).toMatch(/heap/);

    const { client } = fakeClient();
    adapter.slimClient(client);
    expect(client._inboundInflight).toBeInstanceOf(Set);
    const { broker } = brokerWithClients();
    const original = broker.registerClient;
    adapter.watchTakeovers(broker as unknown as Aedes, () => undefined);
    expect(broker.registerClient).toBe(original);
  });

  it('warns, naming the patch file, when aedes was installed without its source patch', async () => {
    const log = captureLogs();
    const unpatched = 'function emptyQueue (arg, done) {\n  const outgoing = persistence.outgoingStream(client)\n}';
    const adapter = await withProbeClient((probe) => checkAedes({ logger: log.logger, probe, connectSource: unpatched }));
    expect(adapter.patched).toBe(true);
    expect(adapter.queueShortcut).toBe(false);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'aedes', patch: 'patches/aedes+1.2.0.patch' });
    expect(String(log.lines[0]!.msg)).toMatch(/^aedes source patch not applied/);
    expect(String(log.lines[0]!.lost)).toMatch(/offline queue/);
  });

  it('falls back when the self-test finds an internal member missing', async () => {
    const log = captureLogs();
    const adapter = await withProbeClient((probe) => {
      const client = { ...(probe.client as object) } as Record<string, unknown>;
      delete client.duplicates;
      return checkAedes({ logger: log.logger, probe: { broker: probe.broker, client } });
    });
    expect(adapter.patched).toBe(false);
    expect(adapter.state.reason).toBe('self-test: aedes lacks client.duplicates');
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'aedes', foundVersion: AEDES_VERSION, patched: false });
  });
});

describe('AedesAdapter.watchRemoteTakeovers', () => {
  it("marks the connection before aedes' own $SYS new/clients listener closes it", async () => {
    const { Aedes: AedesBroker } = await import('aedes');
    const { default: createEmitter } = (await import('mqemitter')) as unknown as { default: () => import('./aedes-adapter.js').TakeoverEmitter };
    const mq = createEmitter();
    const adapter = new AedesAdapter({ engine: 'aedes', expectedVersion: AEDES_VERSION, foundVersion: AEDES_VERSION, patched: true });
    const events: string[] = [];
    let broker: Aedes | undefined;
    // Added first, as gateway.ts does before Aedes.createBroker.
    adapter.watchRemoteTakeovers(mq, 'node-a', () => broker, (old) => events.push(`marked ${old.id}`));
    broker = await AedesBroker.createBroker({ id: 'node-a', mq: mq as never });
    const clients = (broker as unknown as { clients: Record<string, unknown> }).clients;
    clients.c1 = { id: 'c1', closed: false, close: (done?: () => void) => (events.push('closed c1'), done?.()) };
    await new Promise<void>((resolve) => (mq as unknown as { emit(p: object, cb: () => void): void }).emit({ topic: '$SYS/node-b/new/clients', payload: Buffer.from('c1') }, resolve));
    // The node's own announcement is a local takeover, handled by watchTakeovers.
    await new Promise<void>((resolve) => (mq as unknown as { emit(p: object, cb: () => void): void }).emit({ topic: '$SYS/node-a/new/clients', payload: Buffer.from('c1') }, resolve));
    expect(events).toEqual(['marked c1', 'closed c1']);
    delete clients.c1;
    await new Promise<void>((resolve) => broker!.close(() => resolve()));
  });
});

describe('brokerIdFor', () => {
  it('gives each start of a node its own broker ID, free of the characters persistence keys and $SYS topics split on', () => {
    const first = brokerIdFor('host-1:1883');
    const second = brokerIdFor('host-1:1883');
    expect(first).not.toBe(second);
    expect(first.startsWith('host-1_1883~')).toBe(true);
    expect(brokerIdFor('a/b+c#d:e')).toMatch(/^a_b_c_d_e~[0-9a-f]{8}$/);
  });
});

describe('publishToClient and enqueueOffline', () => {
  /** A broker's numbering as aedes reads it, and what the client and the persistence were handed. */
  function fakeBroker() {
    const published: Array<Record<string, unknown>> = [];
    const queued: Array<Record<string, unknown>> = [];
    const broker = {
      id: 'node-a~0001',
      counter: 7,
      persistence: { outgoingEnqueue: async (_sub: object, packet: Record<string, unknown>) => void queued.push(packet) },
    } as unknown as Aedes;
    const client = { publish: (packet: Record<string, unknown>) => published.push(packet) } as unknown as Client;
    return { broker, client, published, queued };
  }

  it("numbers P2P writes and offline enqueues each under an ID of their own, never advancing the broker's counter", async () => {
    const { broker, client, published, queued } = fakeBroker();
    publishToClient(broker, client, { topic: 'i/cmd/p2p/x', payload: Buffer.from('1'), qos: 1 });
    publishToClient(broker, client, { topic: 'i/cmd/p2p/x', payload: Buffer.from('2'), qos: 0 });
    await enqueueOffline(broker, 'i/x', { topic: 'i/cmd/p2p/x', payload: Buffer.from('3'), qos: 1 });
    expect(published.map((p) => [p.brokerId, p.brokerCounter, p.qos, p.retain])).toEqual([
      ['node-a~0001.p2p', 1, 1, false],
      ['node-a~0001.p2p', 2, 0, false],
    ]);
    expect(queued.map((p) => [p.brokerId, p.brokerCounter, p.qos])).toEqual([['node-a~0001.queued', 1, 1]]);
    expect((broker as unknown as { counter: number }).counter).toBe(7);
  });
});

describe('AedesAdapter.coalesceWrites', () => {
  const adapter = (patched: boolean) => new AedesAdapter({ engine: 'aedes', expectedVersion: AEDES_VERSION, foundVersion: AEDES_VERSION, patched });

  it("holds the client's connection corked until the turn ends only when the patches apply", () => {
    const patchedConn = new PassThrough();
    const plainConn = new PassThrough();
    adapter(true).coalesceWrites({ conn: patchedConn });
    adapter(false).coalesceWrites({ conn: plainConn });
    expect(Object.hasOwn(patchedConn, 'cork')).toBe(true);
    expect(Object.hasOwn(plainConn, 'cork')).toBe(false);
  });
});
