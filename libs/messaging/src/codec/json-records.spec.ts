import { HEADERS } from '../headers.js';
import type { ControlCommand, PresenceEvent } from '../types.js';
import { buildControlRecord, parseControlRecord } from './control.codec.js';
import { buildDlqRecord, dlqSource } from './dlq.codec.js';
import { buildPresenceRecord, parsePresenceRecord } from './presence.codec.js';

const value = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

describe('presence codec', () => {
  const event: PresenceEvent = {
    instanceId: 'fmq-p1p2p3',
    clientId: 'GID_g@@@d',
    event: 'disconnect',
    reason: 'keepalive timeout',
    node: 'gw-1',
    remoteAddress: '10.0.0.1:5000',
    ts: 1_700_000_000_000,
    epoch: 3,
  };

  it('builds keyed JSON and parses it back', () => {
    const record = buildPresenceRecord(event);
    expect(record.key).toBe('fmq-p1p2p3/GID_g@@@d');
    expect(JSON.parse(record.value!.toString())).toEqual(event);
    expect(parsePresenceRecord({ key: null, value: record.value })).toEqual({ ok: true, value: event });
  });

  it('keeps only the documented fields', () => {
    const record = buildPresenceRecord({ ...event, extra: 1 } as PresenceEvent);
    expect(Object.keys(JSON.parse(record.value!.toString())).sort()).toEqual(
      ['clientId', 'epoch', 'event', 'instanceId', 'node', 'reason', 'remoteAddress', 'ts'],
    );
  });

  it.each<[string, Buffer | null, RegExp]>([
    ['no value', null, /empty value/],
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['an array', value([1]), /not a JSON object/],
    ['an unknown event', value({ ...event, event: 'sleep' }), /event/],
    ['a negative epoch', value({ ...event, epoch: -1 }), /epoch/],
    ['a string ts', value({ ...event, ts: '1' }), /ts/],
    ['no instance', value({ ...event, instanceId: '' }), /instanceId/],
    ['a numeric reason', value({ ...event, reason: 5 }), /reason/],
  ])('refuses %s', (_name, v, reason) => {
    const parsed = parsePresenceRecord({ key: null, value: v });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.reason).toMatch(reason);
  });

  it('accepts null reason and remote address', () => {
    expect(parsePresenceRecord({ key: null, value: value({ ...event, reason: null, remoteAddress: null }) }).ok).toBe(true);
  });
});

describe('control codec', () => {
  it.each<ControlCommand>([
    { type: 'kick', instanceId: 'fmq-c1', clientId: 'GID_a@@@b', reason: 'admin' },
    { type: 'token-revoked', instanceId: 'fmq-c1', tokenHash: 'ab'.repeat(32), ts: 7 },
    { type: 'key-disabled', instanceId: 'fmq-c1', accessKeyId: 'AK1' },
    { type: 'credential-revoked', instanceId: 'fmq-c1', clientId: 'GID_a@@@b', accessKeyId: 'DAK' },
    { type: 'rules-changed', instanceId: 'fmq-c1' },
    { type: 'rules-changed', instanceId: 'fmq-c1', ruleId: 'r-1' },
  ])('round-trips $type', (command) => {
    const record = buildControlRecord(command);
    expect(record.key).toBe('fmq-c1');
    expect(parseControlRecord({ key: null, value: record.value })).toEqual({ ok: true, value: command });
  });

  it('drops fields a command does not have', () => {
    const parsed = parseControlRecord({ key: null, value: value({ type: 'key-disabled', instanceId: 'i', accessKeyId: 'k', clientId: 'x' }) });
    expect(parsed).toEqual({ ok: true, value: { type: 'key-disabled', instanceId: 'i', accessKeyId: 'k' } });
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown type', { type: 'reboot', instanceId: 'i' }, /type/],
    ['no instance', { type: 'rules-changed' }, /instanceId/],
    ['a kick without client', { type: 'kick', instanceId: 'i' }, /clientId: required for kick/],
    ['a revocation without hash', { type: 'token-revoked', instanceId: 'i', tokenHash: '' }, /tokenHash/],
    ['a numeric rule id', { type: 'rules-changed', instanceId: 'i', ruleId: 5 }, /ruleId/],
    ['a bad ts', { type: 'rules-changed', instanceId: 'i', ts: 1.5 }, /ts/],
  ])('refuses %s', (_name, body, reason) => {
    const parsed = parseControlRecord({ key: null, value: value(body) });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.reason).toMatch(reason);
  });
});

describe('dlq codec', () => {
  it('copies key, value and headers and adds reason and source', () => {
    const source = { key: Buffer.from('k'), value: Buffer.from('v'), headers: { [HEADERS.topic]: Buffer.from('a/b'), multi: ['x', 'y'], gone: undefined } };
    const record = buildDlqRecord(source, { topic: 'fleetmq.downlink', partition: 4, offset: '1234' }, 'missing header fleetmq-instance');
    expect(record.key).toBe(source.key);
    expect(record.value).toBe(source.value);
    expect(record.headers).toEqual({
      [HEADERS.topic]: Buffer.from('a/b'),
      multi: ['x', 'y'],
      [HEADERS.dlqReason]: 'missing header fleetmq-instance',
      [HEADERS.dlqSource]: 'fleetmq.downlink:4:1234',
    });
    expect(dlqSource({ topic: 't', partition: 0, offset: '0' })).toBe('t:0:0');
  });
});
