import { decodeForwardedP2P, encodeForwardedP2P, type ForwardedP2P } from './p2p-forward.codec.js';

describe('forwarded P2P codec', () => {
  const cases: Array<[string, ForwardedP2P]> = [
    ['plain', { instanceId: 'fmq-abc123', targetClientId: 'GID_a@@@d1', topic: 'cmd/p2p/GID_a@@@d1', qos: 1, payload: Buffer.from('hello') }],
    ['empty payload, QoS 0', { instanceId: 'default', targetClientId: 'x', topic: 'a/p2p/x', qos: 0, payload: Buffer.alloc(0) }],
    ['multi-byte UTF-8 and binary payload', { instanceId: 'fmq-é', targetClientId: 'c™', topic: 't/p2p/c™', qos: 2, payload: Buffer.from([0, 255, 7]) }],
  ];

  it.each(cases)('round-trips %s', (_name, msg) => {
    const decoded = decodeForwardedP2P(encodeForwardedP2P(msg));
    expect(decoded).toEqual(msg);
  });

  it('refuses what it did not write', () => {
    const good = encodeForwardedP2P(cases[0]![1]);
    expect(decodeForwardedP2P(good.subarray(0, 10))).toBeUndefined();
    expect(decodeForwardedP2P(Buffer.concat([Buffer.from([3]), good.subarray(1)]))).toBeUndefined();
    expect(decodeForwardedP2P(Buffer.alloc(3))).toBeUndefined();
  });
});
