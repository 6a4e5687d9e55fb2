import type { ClientContext, DisconnectReason } from '../gateway.ports.js';
import { LocalConnectionRegistry } from './connection-registry.js';
import type { ConnectionState } from './connection-state.js';

function fakeState(id: string, instanceId: string, close: (reason: DisconnectReason) => void): ConnectionState {
  return { client: { id }, ctx: { instanceId, clientId: id } as ClientContext, close } as unknown as ConnectionState;
}

describe('LocalConnectionRegistry closing', () => {
  it('closes every selected connection through the given closer, even when one close throws', () => {
    const closed: string[] = [];
    const contained: string[] = [];
    const throwing = fakeState('a', 'i1', () => {
      throw new Error('will hook failed');
    });
    const fine = fakeState('b', 'i1', (reason) => closed.push(`b:${reason}`));
    const registry = new LocalConnectionRegistry((state, reason) => {
      try {
        state.close(reason);
      } catch (err) {
        contained.push(`${state.client.id}:${(err as Error).message}`);
      }
    });
    registry.add(throwing);
    registry.add(fine);
    expect(registry.closeWhere((ctx) => ctx.instanceId === 'i1', 'auth-expired')).toBe(2);
    expect(closed).toEqual(['b:auth-expired']);
    expect(contained).toEqual(['a:will hook failed']);
  });

  it('close() of one client uses the closer too', () => {
    const via: string[] = [];
    const registry = new LocalConnectionRegistry((state, reason) => via.push(`${state.client.id}:${reason}`));
    // Keyed by aedes' client ID, which is the namespaced one (tenancy/namespace.ts).
    registry.add(fakeState('i1/c1', 'i1', () => via.push('direct')));
    expect(registry.close('i1', 'other', 'kicked')).toBe(false);
    expect(registry.close('i1', 'c1', 'kicked')).toBe(true);
    expect(via).toEqual(['i1/c1:kicked']);
  });
});
