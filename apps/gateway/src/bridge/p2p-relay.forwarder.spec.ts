import { jest } from '@jest/globals';
import { createLogger } from '#config';
import type { DownlinkInput, DownlinkSink } from '#messaging';
import type { ClientContext, PublishForwarder, UplinkPublish } from '../gateway.ports.js';
import { BridgeMetrics } from './bridge.metrics.js';
import { P2PRelayForwarder } from './p2p-relay.forwarder.js';

const ctx = { instanceId: 'fmq-abc123', clientId: 'GID_a@@@sender' } as ClientContext;
const p2p = (qos: 0 | 1 | 2, target = 'GID_a@@@target'): UplinkPublish => ({
  topic: `cmd/p2p/${target}`, payload: Buffer.from('x'), qos, retain: false, will: false, p2pTarget: target,
});
const tick = () => new Promise((r) => setTimeout(r, 1));

function setup(connectedHere: string[] = []) {
  const forwarded: Array<(err?: Error | null) => void> = [];
  const inner: PublishForwarder = { forward: (_c, _p, done) => void forwarded.push(done) };
  const relayed: Array<{ msg: DownlinkInput; resolve: () => void; reject: (e: Error) => void }> = [];
  const sink = {
    publish: (msg: DownlinkInput) => new Promise<string>((resolve, reject) => relayed.push({ msg, resolve: () => resolve('id'), reject })),
  } as unknown as DownlinkSink;
  const registry = { get: (_i: string, clientId: string) => (connectedHere.includes(clientId) ? ctx : undefined) };
  const forwarder = new P2PRelayForwarder(inner, registry, sink, new BridgeMetrics(), createLogger('silent'));
  return { forwarder, forwarded, relayed };
}

describe('P2PRelayForwarder', () => {
  it('leaves other messages, and P2P for a target connected here, to the uplink forwarder alone', () => {
    const { forwarder, forwarded, relayed } = setup(['GID_a@@@target']);
    forwarder.forward(ctx, { ...p2p(1), p2pTarget: undefined, topic: 'cmd/x' }, () => undefined);
    forwarder.forward(ctx, p2p(1), () => undefined);
    expect(forwarded).toHaveLength(2);
    expect(relayed).toHaveLength(0);
  });

  it('relays P2P for a target elsewhere to fleetmq.downlink, never retained; QoS 1 is acknowledged after both records', async () => {
    const { forwarder, forwarded, relayed } = setup();
    const done = jest.fn();
    forwarder.forward(ctx, { ...p2p(1), retain: true }, done);
    expect(relayed.map((r) => r.msg)).toEqual([
      { instanceId: 'fmq-abc123', topic: 'cmd/p2p/GID_a@@@target', qos: 1, retain: false, payload: Buffer.from('x'), targetClientId: 'GID_a@@@target' },
    ]);
    forwarded[0]!();
    await tick();
    expect(done).not.toHaveBeenCalled();
    relayed[0]!.resolve();
    await tick();
    expect(done).toHaveBeenCalledWith(null);
  });

  it('refuses a QoS 1 message whose relay Kafka did not take', async () => {
    const { forwarder, forwarded, relayed } = setup();
    const done = jest.fn();
    forwarder.forward(ctx, p2p(1), done);
    relayed[0]!.reject(new Error('kafka down'));
    forwarded[0]!();
    await tick();
    expect(done).toHaveBeenCalledWith(expect.objectContaining({ message: 'kafka down' }));
  });

  it('keeps QoS 0 best effort: done as the uplink forwarder says, whatever the relay does', async () => {
    const { forwarder, forwarded, relayed } = setup();
    const done = jest.fn();
    forwarder.forward(ctx, p2p(0), done);
    expect(relayed).toHaveLength(1);
    expect(forwarded[0]).toBe(done);
    relayed[0]!.reject(new Error('kafka down'));
    await tick();
  });
});
