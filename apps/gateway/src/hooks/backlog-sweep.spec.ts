import { jest } from '@jest/globals';
import type { Client } from 'aedes';
import { pino } from 'pino';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { gatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';
import { BacklogSweep } from './backlog-sweep.js';
import { EngineBoundary } from './engine-boundary.js';

function fakeState(writableLength: number, close: () => void, destroy: () => void): ConnectionState {
  const client = { closed: false, conn: { writableLength, destroy } } as unknown as Client;
  return { client, backlogTimer: undefined, forwardSweep: -2, close } as unknown as ConnectionState;
}

function sweepFor(states: ConnectionState[]): BacklogSweep {
  const byClient = new WeakMap<Client, ConnectionState>(states.map((s) => [s.client as unknown as Client, s]));
  const metrics = gatewayMetrics();
  return new BacklogSweep({
    config: { limits: { maxOutgoingBufferBytes: 1_000 } } as never,
    metrics,
    boundary: new EngineBoundary(byClient, metrics, new RateLimitedLog(pino({ level: 'silent' }))),
    clock: Date.now,
  });
}

describe('backlog sweep', () => {
  afterEach(() => jest.useRealTimers());

  it('closes a subscriber over the byte limit through the engine boundary: a throwing close stays inside it', async () => {
    const destroyed = new Promise<void>((resolve) => {
      const state = fakeState(2_000, () => { throw new Error('will hook failed while closing'); }, resolve);
      const sweep = sweepFor([state]);
      sweep.forwarded(state);
      sweep.sweep();
    });
    // The old code threw out of the timer (an uncaught exception) and never destroyed the socket.
    await destroyed;
  });

  it('looks only at connections forwarded to, each forward twice: a write that backs up after the first look is still caught', () => {
    jest.useFakeTimers();
    const idle = fakeState(500, () => undefined, () => undefined);
    const subscriber = fakeState(0, () => undefined, () => undefined);
    const sweep = sweepFor([idle, subscriber]);
    sweep.forwarded(subscriber);
    sweep.forwarded(subscriber); // listed once
    sweep.sweep(); // nothing queued yet: aedes writes after the hook, asynchronously
    (subscriber.client.conn as { writableLength: number }).writableLength = 500;
    sweep.sweep();
    expect(subscriber.backlogTimer).toBeDefined();
    // An idle connection with bytes waiting is not walked: only forwards can stall publishers.
    expect(idle.backlogTimer).toBeUndefined();
  });

  it('drops a connection after two sweeps without a forward', () => {
    jest.useFakeTimers();
    const subscriber = fakeState(0, () => undefined, () => undefined);
    const sweep = sweepFor([subscriber]);
    sweep.forwarded(subscriber);
    sweep.sweep();
    sweep.sweep();
    (subscriber.client.conn as { writableLength: number }).writableLength = 500;
    sweep.sweep();
    expect(subscriber.backlogTimer).toBeUndefined();
    sweep.forwarded(subscriber); // listed again
    sweep.sweep();
    expect(subscriber.backlogTimer).toBeDefined();
  });
});
