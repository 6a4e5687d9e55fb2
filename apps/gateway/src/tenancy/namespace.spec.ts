import { Namespace, internalClientId, P2P_SINK_TOPIC } from './namespace.js';
import { topicMatches } from '#domain';

describe('Namespace', () => {
  const a = new Namespace('fmq-aaaaaa');
  const b = new Namespace('fmq-bbbbbb');

  it('wraps and unwraps topics and filters', () => {
    expect(a.wrap('telemetry/x')).toBe('fmq-aaaaaa/telemetry/x');
    expect(a.unwrap('fmq-aaaaaa/telemetry/x')).toBe('telemetry/x');
    expect(a.wrap('#')).toBe('fmq-aaaaaa/#');
  });

  it('does not unwrap topics of another instance', () => {
    expect(a.unwrap(b.wrap('telemetry/x'))).toBeNull();
    expect(a.unwrap(b.wrap('t'))).toBeNull();
    // a prefix that is only a string prefix of another instance ID is not a match
    expect(new Namespace('fmq-aaa').unwrap('fmq-aaaaaa/t')).toBeNull();
  });

  it('keeps equal topic names of two instances apart, wildcards included', () => {
    expect(topicMatches(a.wrap('#'), b.wrap('telemetry/x'))).toBe(false);
    expect(topicMatches(a.wrap('+/x'), b.wrap('telemetry/x'))).toBe(false);
    expect(topicMatches(a.wrap('#'), a.wrap('telemetry/x'))).toBe(true);
  });

  it('puts the P2P sink outside every namespace', () => {
    expect(topicMatches(a.wrap('#'), P2P_SINK_TOPIC)).toBe(false);
    expect(a.unwrap(P2P_SINK_TOPIC)).toBeNull();
  });

  it('refuses instance IDs that would break the prefix', () => {
    expect(() => new Namespace('a/b')).toThrow();
    expect(() => new Namespace('')).toThrow();
  });

  it('namespaces client IDs', () => {
    expect(internalClientId('fmq-aaaaaa', 'GID_a@@@d')).not.toBe(internalClientId('fmq-bbbbbb', 'GID_a@@@d'));
  });
});
