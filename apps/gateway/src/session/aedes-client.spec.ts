import { EventEmitter } from 'node:events';
import { LazyIdSet, slimAedesClient } from './aedes-client.js';

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
