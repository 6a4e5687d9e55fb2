import type { Client } from 'aedes';
import { pino } from 'pino';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { gatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';
import { sweepBacklogs } from './authorize-forward.hook.js';
import { EngineBoundary } from './engine-boundary.js';
import type { HookDeps } from './hook-deps.js';

describe('backlog watch', () => {
  it('closes a subscriber over the byte limit through the engine boundary: a throwing close stays inside it', async () => {
    const destroyed = new Promise<void>((resolve) => {
      const states = new WeakMap<Client, ConnectionState>();
      const client = { closed: false, conn: { writableLength: 2_000, destroy: () => resolve() } } as unknown as Client;
      const state = {
        client,
        backlogTimer: undefined,
        close: () => {
          throw new Error('will hook failed while closing');
        },
      } as unknown as ConnectionState;
      states.set(client, state);
      const metrics = gatewayMetrics();
      const deps = {
        config: { limits: { maxOutgoingBufferBytes: 1_000 } },
        metrics,
        registry: { states: () => [state][Symbol.iterator]() },
        boundary: new EngineBoundary(states, metrics, new RateLimitedLog(pino({ level: 'silent' }))),
        clock: Date.now,
      } as unknown as HookDeps;
      sweepBacklogs(deps);
    });
    // The old code threw out of the timer (an uncaught exception) and never destroyed the socket.
    await destroyed;
  });
});
