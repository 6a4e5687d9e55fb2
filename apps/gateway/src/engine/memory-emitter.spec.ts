import { createMemoryEmitter } from './memory-emitter.js';

interface Packet {
  topic: string;
  payload: string;
}
type Listener = (packet: Packet, cb: () => void) => void;
interface TestEmitter {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  emit(packet: Packet, done?: () => void): unknown;
  _matcher: { match(topic: string): unknown[] };
}

const emitter = (): TestEmitter => createMemoryEmitter() as unknown as TestEmitter;
const emit = (e: TestEmitter, topic: string): Promise<void> => new Promise((resolve) => e.emit({ topic, payload: 'x' }, resolve));
const on = (e: TestEmitter, topic: string, l: Listener): Promise<void> => new Promise((resolve) => e.on(topic, l, resolve));
const off = (e: TestEmitter, topic: string, l: Listener): Promise<void> => new Promise((resolve) => e.removeListener(topic, l, resolve));

describe('the in-memory emitter with cached topic matches', () => {
  it('keeps the match of a topic until a listener is added or removed', async () => {
    const e = emitter();
    const got: string[] = [];
    const a: Listener = (p, cb) => (got.push(`a:${p.topic}`), cb());
    const b: Listener = (p, cb) => (got.push(`b:${p.topic}`), cb());
    await on(e, 'x/+', a);
    const first = e._matcher.match('x/1');
    expect(e._matcher.match('x/1')).toBe(first);

    await emit(e, 'x/1');
    await on(e, 'x/#', b);
    await emit(e, 'x/1');
    await off(e, 'x/+', a);
    await emit(e, 'x/1');
    await emit(e, 'y/1');
    // a before and with b; b alone after a left; nothing for y/1 (listeners of one emit run in no set order).
    expect(got.sort()).toEqual(['a:x/1', 'a:x/1', 'b:x/1', 'b:x/1']);
  });

  it('matches empty levels as aedes needs ([MQTT-4.7.1-3]) and wildcards as before', async () => {
    const e = emitter();
    const got: string[] = [];
    await on(e, 'a/+/c', (p, cb) => (got.push(p.topic), cb()));
    for (const t of ['a//c', 'a/b/c', 'a/b/c/d', 'a/b/c']) await emit(e, t);
    expect(got).toEqual(['a//c', 'a/b/c', 'a/b/c']);
  });
});
