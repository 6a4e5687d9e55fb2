import type { Client } from 'aedes';
import { pino } from 'pino';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { gatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';
import { EngineBoundary, type Boundary } from './engine-boundary.js';

const boom = (): never => {
  throw new Error('boom');
};

function setup() {
  const states = new WeakMap<Client, ConnectionState>();
  const closed: string[] = [];
  const client = { closed: false, close: () => closed.push('client'), conn: { destroy: () => closed.push('socket') } } as unknown as Client;
  const state = { close: (reason: string) => closed.push(`state:${reason}`), remoteAddress: '10.0.0.1' } as unknown as ConnectionState;
  states.set(client, state);
  const boundary = new EngineBoundary(states, gatewayMetrics(), new RateLimitedLog(pino({ level: 'silent' })));
  return { boundary, client, closed };
}

async function count(where: Boundary): Promise<number> {
  const values = (await gatewayMetrics().internalErrors.get()).values;
  return values.find((v) => v.labels.where === where)?.value ?? 0;
}

describe('EngineBoundary', () => {
  it('closes the connection and calls back with the error when a callback hook throws', async () => {
    const { boundary, client, closed } = setup();
    const before = await count('authorize-subscribe');
    const results: unknown[] = [];
    boundary.authorizeSubscribe(boom)(client, { topic: 'a', qos: 0 }, (err, sub) => results.push(err?.message, sub));
    expect(closed).toEqual(['state:error']);
    expect(results).toEqual(['boom', null]);
    expect(await count('authorize-subscribe')).toBe(before + 1);
  });

  it('drops the delivery (null) and closes the subscriber when authorizeForward throws', () => {
    const { boundary, client, closed } = setup();
    expect(boundary.authorizeForward(boom)(client, { topic: 't' } as never)).toBeNull();
    expect(closed).toEqual(['state:error']);
  });

  it('refuses with a code for a throwing authenticate, without throwing into aedes', () => {
    const { boundary, client, closed } = setup();
    const calls: Array<[number | undefined, boolean | null]> = [];
    boundary.authenticate(boom)(client, undefined, undefined, (err, ok) => calls.push([(err as { returnCode?: number } | null)?.returnCode, ok]));
    expect(calls).toEqual([[3, false]]);
    expect(closed).toEqual(['state:error']);
  });

  it('keeps a throwing callback (aedes after the fault) inside the boundary', () => {
    const { boundary, client } = setup();
    expect(() => boundary.preConnect(boom)(client, {} as never, boom)).not.toThrow();
    expect(() => boundary.authorizePublish(boom)(client, {} as never, boom)).not.toThrow();
  });

  it('wraps broker event listeners: the client named by the argument is closed', async () => {
    const { boundary, client, closed } = setup();
    const before = await count('broker-event');
    const listener = boundary.listener(1, (_packet: unknown, _client: Client) => boom());
    expect(() => listener({}, client)).not.toThrow();
    expect(closed).toEqual(['state:error']);
    expect(await count('broker-event')).toBe(before + 1);
  });

  it('close() from a timer or the control bridge contains a throwing close and counts it where it happened', async () => {
    const states = new WeakMap<Client, ConnectionState>();
    const closes: string[] = [];
    const client = { conn: { destroy: () => closes.push('socket') } } as unknown as Client;
    // The first close throws (its will hook failed); the boundary's own close then succeeds.
    const state = {
      client,
      close: (reason: string) => {
        closes.push(reason);
        if (closes.length === 1) boom();
      },
    } as unknown as ConnectionState;
    states.set(client, state);
    const boundary = new EngineBoundary(states, gatewayMetrics(), new RateLimitedLog(pino({ level: 'silent' })));
    const before = await count('control');
    expect(() => boundary.close('control', state, 'kicked')).not.toThrow();
    expect(closes).toEqual(['kicked', 'error']);
    expect(await count('control')).toBe(before + 1);
  });

  it('destroys the socket when closing itself throws (a will hook failing again)', () => {
    const states = new WeakMap<Client, ConnectionState>();
    const destroyed: boolean[] = [];
    const client = { conn: { destroy: () => destroyed.push(true) } } as unknown as Client;
    states.set(client, { close: boom } as unknown as ConnectionState);
    const boundary = new EngineBoundary(states, gatewayMetrics(), new RateLimitedLog(pino({ level: 'silent' })));
    boundary.contain('authorize-publish', client, new Error('first'));
    expect(destroyed).toEqual([true]);
  });
});
