import type { ClientContext } from '../gateway.ports.js';
import type { LocalConnectionRegistry } from '../session/connection-registry.js';
import { LocalPresence } from './local-presence.js';

const ctx = (clientId: string, cleanSession: boolean) => ({ instanceId: 'fmq-abc123', clientId, cleanSession }) as ClientContext;

function setup() {
  const connected = new Map<string, ClientContext>();
  const registry = { get: (_i: string, clientId: string) => connected.get(clientId) } as unknown as LocalConnectionRegistry;
  return { presence: new LocalPresence(registry, 'node-a'), connected };
}

describe('LocalPresence (memory session store)', () => {
  it('answers online for a client connected here, with its session kind', async () => {
    const { presence, connected } = setup();
    connected.set('c1', ctx('c1', false));
    await presence.connected(ctx('c1', false));
    expect(await presence.locate('fmq-abc123', 'c1')).toEqual({ state: 'online', nodeId: 'node-a', persistent: true });
  });

  it('keeps a persistent session that ended as offline-persistent, a clean one as absent', async () => {
    const { presence } = setup();
    await presence.disconnected(ctx('p', false));
    await presence.disconnected(ctx('c', true));
    expect(await presence.locate('fmq-abc123', 'p')).toEqual({ state: 'offline-persistent' });
    expect(await presence.locate('fmq-abc123', 'c')).toEqual({ state: 'absent' });
    expect(await presence.locate('fmq-other', 'p')).toEqual({ state: 'absent' });
  });

  it('forgets the offline session when the client connects again, and ignores the end of a connection taken over here', async () => {
    const { presence, connected } = setup();
    await presence.disconnected(ctx('p', false));
    await presence.connected(ctx('p', true));
    expect(await presence.locate('fmq-abc123', 'p')).toEqual({ state: 'absent' });

    connected.set('q', ctx('q', false));
    await presence.disconnected(ctx('q', false));
    connected.delete('q');
    expect(await presence.locate('fmq-abc123', 'q')).toEqual({ state: 'absent' });
  });
});
