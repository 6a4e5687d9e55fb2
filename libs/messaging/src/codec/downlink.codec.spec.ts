import { HEADERS } from '../headers.js';
import type { DownlinkInput } from '../types.js';
import { buildDownlinkRecord, parseDownlinkRecord } from './downlink.codec.js';
import type { IncomingRecord } from './record.js';

const id = (): string => 'GEN';

describe('downlink codec', () => {
  it.each<[string, DownlinkInput, string, Record<string, string>]>([
    [
      'broadcast: keyed by MQTT topic, no target',
      { instanceId: 'fmq-a1b2c3', topic: 'cmd/all', qos: 1, retain: true, payload: Buffer.from('x'), msgId: 'm1' },
      'cmd/all',
      { [HEADERS.instance]: 'fmq-a1b2c3', [HEADERS.topic]: 'cmd/all', [HEADERS.qos]: '1', [HEADERS.retain]: 'true', [HEADERS.msgId]: 'm1' },
    ],
    [
      'P2P: keyed by target client',
      { instanceId: 'fmq-a1b2c3', topic: 'cmd/p2p/GID_a@@@d', qos: 0, retain: false, payload: Buffer.from('y'), targetClientId: 'GID_a@@@d' },
      'GID_a@@@d',
      {
        [HEADERS.instance]: 'fmq-a1b2c3',
        [HEADERS.topic]: 'cmd/p2p/GID_a@@@d',
        [HEADERS.qos]: '0',
        [HEADERS.retain]: 'false',
        [HEADERS.msgId]: 'GEN',
        [HEADERS.target]: 'GID_a@@@d',
      },
    ],
  ])('builds %s', (_name, msg, key, headers) => {
    const record = buildDownlinkRecord(msg, id);
    expect(record.key).toBe(key);
    expect(record.headers).toEqual(headers);
    expect(record.value).toBe(msg.payload);
    const parsed = parseDownlinkRecord({ key: record.key as string, value: record.value, headers: record.headers as Record<string, string> });
    expect(parsed).toEqual({ ok: true, value: { ...msg, msgId: headers[HEADERS.msgId] } });
  });

  it('fills what a hand-written backend record may leave out: qos 0, retain false, a new id, empty payload', () => {
    const parsed = parseDownlinkRecord({ key: null, value: null, headers: { [HEADERS.instance]: Buffer.from('fmq-x1y2z3'), [HEADERS.topic]: Buffer.from('a/b') } }, id);
    expect(parsed).toEqual({ ok: true, value: { instanceId: 'fmq-x1y2z3', topic: 'a/b', qos: 0, retain: false, payload: Buffer.alloc(0), msgId: 'GEN' } });
  });

  it('accepts 1/0 for retain', () => {
    const parsed = parseDownlinkRecord({ key: null, value: null, headers: { [HEADERS.instance]: 'i', [HEADERS.topic]: 't', [HEADERS.retain]: '1' } });
    expect(parsed.ok && parsed.value.retain).toBe(true);
  });

  it('sends a P2P-shaped topic to its target alone without a target header, and never retained', () => {
    const parsed = parseDownlinkRecord({ key: null, value: null, headers: { [HEADERS.instance]: 'i', [HEADERS.topic]: 'cmd/p2p/GID_a@@@d', [HEADERS.retain]: 'true' } }, id);
    expect(parsed).toEqual({ ok: true, value: { instanceId: 'i', topic: 'cmd/p2p/GID_a@@@d', qos: 0, retain: false, payload: Buffer.alloc(0), msgId: 'GEN', targetClientId: 'GID_a@@@d' } });
  });

  const h = (headers: Record<string, string>): IncomingRecord => ({ key: null, value: Buffer.from('p'), headers });
  it.each<[string, IncomingRecord, RegExp]>([
    ['no headers at all', { key: null, value: null }, /missing header fleetmq-instance/],
    ['an empty instance', h({ [HEADERS.instance]: '', [HEADERS.topic]: 't' }), /missing header fleetmq-instance/],
    ['no topic', h({ [HEADERS.instance]: 'i' }), /missing header fleetmq-topic/],
    ['an empty topic', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: '' }), /empty topic/],
    ['a wildcard topic', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 'a/+' }), /wildcard/],
    ['a NUL in the topic', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 'a\u0000b' }), /U\+0000/],
    ['qos 5', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 't', [HEADERS.qos]: '5' }), /fleetmq-qos/],
    ['retain maybe', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 't', [HEADERS.retain]: 'maybe' }), /fleetmq-retain/],
    ['an empty target', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 't', [HEADERS.target]: '' }), /fleetmq-target/],
    ['a target with a topic that is not P2P', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 'cmd/x', [HEADERS.target]: 'GID_a@@@d' }), /fleetmq-target: a target client needs/],
    ['a target other than the topic names', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 'cmd/p2p/GID_a@@@d', [HEADERS.target]: 'GID_a@@@e' }), /fleetmq-target: GID_a@@@e is not/],
    ['a topic under <parent>/p2p/ that names no single client', h({ [HEADERS.instance]: 'i', [HEADERS.topic]: 'cmd/p2p/GID_a@@@d/x' }), /fleetmq-topic: a topic under/],
  ])('refuses %s, naming the reason', (_name, record, reason) => {
    const parsed = parseDownlinkRecord(record);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.reason).toMatch(reason);
  });
});
