import { HEADERS } from '../headers.js';
import { MalformedRecordError } from '../errors.js';
import type { UplinkMessage } from '../types.js';
import type { IncomingRecord } from './record.js';
import { murmur2 } from '../partition.js';
import { headerText, keyText } from './record.js';
import { buildUplinkRecord, parseUplinkRecord, UplinkRecordBuilder, uplinkKey } from './uplink.codec.js';

const base: UplinkMessage = { instanceId: 'fmq-abc123', clientId: 'GID_x@@@d', topic: 'a/b', qos: 1, retain: false, payload: Buffer.from([0, 1, 255]) };
const fixedId = (): string => '01HZZZZZZZZZZZZZZZZZZZZZZZ';
const fixedNow = (): number => 1_700_000_000_000;

describe('uplink codec', () => {
  it.each<[string, UplinkMessage, Record<string, string>]>([
    ['QoS 1, generated id and ts', base, { qos: '1', retain: 'false', id: fixedId(), ts: '1700000000000' }],
    ['QoS 0, retained', { ...base, qos: 0, retain: true }, { qos: '0', retain: 'true', id: fixedId(), ts: '1700000000000' }],
    ['QoS 2, given id and ts', { ...base, qos: 2, msgId: 'given', ts: 42 }, { qos: '2', retain: 'false', id: 'given', ts: '42' }],
  ])('builds %s', (_name, msg, expected) => {
    const record = buildUplinkRecord(msg, 'node-7', fixedNow, fixedId);
    expect(record.key).toBe('fmq-abc123/GID_x@@@d');
    expect(record.value).toBe(msg.payload); // the same bytes, not a copy
    expect(record.headers).toEqual({
      [HEADERS.instance]: 'fmq-abc123',
      [HEADERS.client]: 'GID_x@@@d',
      [HEADERS.topic]: 'a/b',
      [HEADERS.qos]: expected.qos,
      [HEADERS.retain]: expected.retain,
      [HEADERS.msgId]: expected.id,
      [HEADERS.ts]: expected.ts,
      [HEADERS.node]: 'node-7',
    });
  });

  it('generates distinct, increasing ids by default', () => {
    const ids = Array.from({ length: 1000 }, () => String(buildUplinkRecord(base, 'n').headers[HEADERS.msgId]));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it('round-trips through the consumer shape (Buffer keys and headers)', () => {
    const built = buildUplinkRecord({ ...base, qos: 2, retain: true, ts: 5, msgId: 'm1' }, 'node-1');
    const incoming: IncomingRecord = {
      key: Buffer.from(String(built.key)),
      value: built.value,
      headers: Object.fromEntries(Object.entries(built.headers).map(([k, v]) => [k, Buffer.from(String(v))])),
    };
    const parsed = parseUplinkRecord(incoming);
    expect(parsed).toEqual({ ok: true, value: { ...base, qos: 2, retain: true, ts: 5, msgId: 'm1', nodeId: 'node-1' } });
  });

  const good = (): IncomingRecord => {
    const r = buildUplinkRecord(base, 'n', fixedNow, fixedId);
    return { key: r.key as string, value: r.value, headers: { ...(r.headers as Record<string, string>) } };
  };
  const without = (name: string): IncomingRecord => {
    const r = good();
    delete r.headers![name];
    return r;
  };
  const withHeader = (name: string, value: string): IncomingRecord => {
    const r = good();
    r.headers![name] = value;
    return r;
  };

  it.each<[string, IncomingRecord, RegExp]>([
    ['no instance', without(HEADERS.instance), /missing header fleetmq-instance/],
    ['no client', without(HEADERS.client), /missing header fleetmq-client/],
    ['no topic', without(HEADERS.topic), /missing header fleetmq-topic/],
    ['no msgid', without(HEADERS.msgId), /missing header fleetmq-msgid/],
    ['no node', without(HEADERS.node), /missing header fleetmq-node/],
    ['qos 3', withHeader(HEADERS.qos, '3'), /bad header fleetmq-qos/],
    ['retain yes', withHeader(HEADERS.retain, 'yes'), /bad header fleetmq-retain/],
    ['ts not a number', withHeader(HEADERS.ts, '12a'), /bad header fleetmq-ts/],
    ['key of another client', { ...good(), key: 'fmq-abc123/other' }, /key does not match/],
  ])('refuses a record with %s', (_name, record, reason) => {
    const parsed = parseUplinkRecord(record);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(MalformedRecordError);
    expect(parsed.error.reason).toMatch(reason);
    expect(parsed.error.retriable).toBe(false);
  });

  it('keys by instance and client', () => {
    expect(uplinkKey('default', '')).toBe('default/');
  });
});

describe('UplinkRecordBuilder', () => {
  const text = (record: ReturnType<typeof buildUplinkRecord>): { key: string | undefined; headers: Record<string, string | undefined> } => ({
    key: keyText(record.key),
    headers: Object.fromEntries(Object.keys(record.headers).map((k) => [k, headerText(record.headers, k)])),
  });

  it.each<[string, UplinkMessage]>([
    ['QoS 1', base],
    ['QoS 0 retained', { ...base, qos: 0, retain: true }],
    ['QoS 2 with id and ts', { ...base, qos: 2, msgId: 'given', ts: 42 }],
    ['non-ASCII client', { ...base, instanceId: 'default', clientId: 'dévice-ü' }],
  ])('builds the same record as buildUplinkRecord (%s)', (_name, msg) => {
    const builder = new UplinkRecordBuilder({ nodeId: 'node-7', now: fixedNow, nextId: fixedId });
    const fast = builder.build(msg);
    expect(text(fast)).toEqual(text(buildUplinkRecord(msg, 'node-7', fixedNow, fixedId)));
    expect(fast.value).toBe(msg.payload);
    const parsed = parseUplinkRecord({ key: fast.key, value: fast.value, headers: fast.headers });
    expect(parsed.ok).toBe(true);
  });

  it('encodes a client once, with the Kafka key hash, and keeps at most two generations', () => {
    const builder = new UplinkRecordBuilder({ nodeId: 'n', maxCachedOrigins: 2 });
    const a = builder.origin('default', 'a');
    expect(builder.origin('default', 'a')).toBe(a);
    expect(a.hash).toBe(murmur2(Buffer.from('default/a')));
    builder.origin('default', 'b');
    builder.origin('default', 'c'); // a and b move to the older generation
    expect(builder.origin('default', 'a')).toBe(a); // found there, kept
    builder.origin('default', 'd');
    builder.origin('default', 'e');
    builder.origin('default', 'f'); // two turnovers without 'b': gone
    const b2 = builder.origin('default', 'b');
    expect(keyText(b2.key)).toBe('default/b');
    expect(builder.origin('default', 'b')).toBe(b2);
  });

  it('stamps ts at build time and generates distinct ULID-format ids in order', () => {
    let now = 1_700_000_000_000;
    const builder = new UplinkRecordBuilder({ nodeId: 'n', now: () => now });
    const ids: string[] = [];
    const ts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 1000 === 0) now += 1;
      const r = builder.build(base);
      ids.push(headerText(r.headers, HEADERS.msgId)!);
      ts.push(headerText(r.headers, HEADERS.ts)!);
    }
    expect(new Set(ids).size).toBe(3000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ts)).toEqual(new Set(['1700000000001', '1700000000002', '1700000000003']));
  });
});
