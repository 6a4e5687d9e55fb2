import { buildOutflowEnvelope, outflowKey, outflowValue, type UplinkMessage } from './outflow.js';

const message = (payload: Buffer): UplinkMessage => ({
  instanceId: 'fmq-abcdef',
  clientId: 'GID_a@@@d1',
  topic: 'telemetry/d1',
  qos: 1,
  retain: false,
  msgId: '01JD0000000000000000000000',
  ts: 1764072000000,
  payload,
});

describe('outflowKey', () => {
  it.each([
    ['clientId', 'GID_a@@@d1'],
    ['topic', 'telemetry/d1'],
    ['none', null],
  ] as const)('%s -> %s', (strategy, key) => {
    expect(outflowKey(strategy, message(Buffer.alloc(0)))).toBe(key);
  });
});

describe('outflowValue', () => {
  it('raw keeps the payload bytes', () => {
    const payload = Buffer.from([0, 255, 1]);
    expect(outflowValue({ format: 'raw', payloadEncoding: 'base64' }, message(payload)).equals(payload)).toBe(true);
  });

  it('json carries the envelope', () => {
    const value = outflowValue({ format: 'json', payloadEncoding: 'utf8' }, message(Buffer.from('{"t":21.5}')));
    expect(JSON.parse(value.toString('utf8'))).toEqual({
      instanceId: 'fmq-abcdef',
      clientId: 'GID_a@@@d1',
      topic: 'telemetry/d1',
      qos: 1,
      payload: '{"t":21.5}',
      encoding: 'utf8',
      ts: 1764072000000,
      msgId: '01JD0000000000000000000000',
    });
  });
});

describe('buildOutflowEnvelope', () => {
  it.each([
    ['base64', Buffer.from('héllo'), 'base64', Buffer.from('héllo').toString('base64')],
    ['utf8', Buffer.from('héllo'), 'utf8', 'héllo'],
    ['utf8', Buffer.from([0xff, 0xfe]), 'base64', '//4='],
    ['utf8', Buffer.alloc(0), 'utf8', ''],
  ] as const)('%s of %j -> %s', (requested, payload, encoding, text) => {
    const envelope = buildOutflowEnvelope(message(payload), requested);
    expect(envelope.encoding).toBe(encoding);
    expect(envelope.payload).toBe(text);
  });
});
