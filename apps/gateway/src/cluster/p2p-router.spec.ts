import { ABSENT, OFFLINE_PERSISTENT, type ClientLocation } from '#messaging';
import type { P2PDelivery } from '../gateway.ports.js';
import { P2PRouter } from './p2p-router.js';

const msg = (qos: 0 | 1 | 2, targetClientId = 'GID_a@@@t'): P2PDelivery => ({
  instanceId: 'fmq-abc123',
  targetClientId,
  topic: `cmd/p2p/${targetClientId}`,
  payload: Buffer.from('x'),
  qos,
});

/** A router over a fake directory, fake connections here and fake peers; records where each message went. */
function setup(options: { here?: string[]; where?: ClientLocation; peersListening?: number; withPeers?: boolean } = {}) {
  const went: string[] = [];
  const counted: string[] = [];
  const count = (route: string) => ({ inc: () => void counted.push(route) });
  const router = new P2PRouter({
    nodeId: 'node-a',
    presence: { locate: async () => options.where ?? ABSENT },
    deliverHere: (d) => {
      if (!(options.here ?? []).includes(d.targetClientId)) return false;
      went.push(`here:${d.payload}`);
      return true;
    },
    forward:
      options.withPeers === false
        ? undefined
        : async (nodeId) => {
            went.push(`forward:${nodeId}`);
            return options.peersListening ?? 1;
          },
    enqueue: async (d) => void went.push(`queue:${d.targetClientId}`),
    metrics: { p2pRouted: { local: count('local'), forwarded: count('forwarded'), queuedOffline: count('queued-offline'), absent: count('absent') } },
  });
  return { router, went, counted };
}

describe('P2PRouter', () => {
  it('delivers to a target connected here without asking the directory', async () => {
    const { router, went, counted } = setup({ here: ['GID_a@@@t'], where: { state: 'online', nodeId: 'node-b', persistent: false } });
    expect(await router.route(msg(1), true)).toBe('delivered');
    expect(went).toEqual(['here:x']);
    expect(counted).toEqual(['local']);
  });

  it('forwards to the node the directory names, once', async () => {
    const { router, went, counted } = setup({ where: { state: 'online', nodeId: 'node-b', persistent: true } });
    expect(await router.route(msg(1), true)).toBe('forwarded');
    expect(went).toEqual(['forward:node-b']);
    expect(counted).toEqual(['forwarded']);
  });

  it('never forwards a message a peer forwarded: queued when the session is persistent, else absent', async () => {
    const persistent = setup({ where: { state: 'online', nodeId: 'node-c', persistent: true } });
    expect(await persistent.router.route(msg(1), false)).toBe('queued');
    expect(persistent.went).toEqual(['queue:GID_a@@@t']);
    const clean = setup({ where: { state: 'online', nodeId: 'node-c', persistent: false } });
    expect(await clean.router.route(msg(1), false)).toBe('not-connected');
    expect(clean.went).toEqual([]);
    expect(clean.counted).toEqual(['absent']);
  });

  it('treats a holder nobody listens for (a node that died) as offline', async () => {
    const persistent = setup({ where: { state: 'online', nodeId: 'node-dead', persistent: true }, peersListening: 0 });
    expect(await persistent.router.route(msg(1), true)).toBe('queued');
    expect(persistent.went).toEqual(['forward:node-dead', 'queue:GID_a@@@t']);
    const clean = setup({ where: { state: 'online', nodeId: 'node-dead', persistent: false }, peersListening: 0 });
    expect(await clean.router.route(msg(1), true)).toBe('not-connected');
  });

  it('queues QoS 1 and 2 for an offline persistent session, never QoS 0', async () => {
    for (const qos of [1, 2] as const) {
      const { router, went, counted } = setup({ where: OFFLINE_PERSISTENT });
      expect(await router.route(msg(qos), true)).toBe('queued');
      expect(went).toEqual(['queue:GID_a@@@t']);
      expect(counted).toEqual(['queued-offline']);
    }
    const qos0 = setup({ where: OFFLINE_PERSISTENT });
    expect(await qos0.router.route(msg(0), true)).toBe('not-connected');
    expect(qos0.went).toEqual([]);
    expect(qos0.counted).toEqual(['absent']);
  });

  it('counts an absent client and does nothing else', async () => {
    const { router, went, counted } = setup({ where: ABSENT });
    expect(await router.route(msg(1), true)).toBe('not-connected');
    expect(went).toEqual([]);
    expect(counted).toEqual(['absent']);
  });

  it('without peers (memory store) an entry naming this node but no connection here is offline', async () => {
    const { router, went } = setup({ where: { state: 'online', nodeId: 'node-a', persistent: true }, withPeers: false });
    expect(await router.route(msg(1), true)).toBe('queued');
    expect(went).toEqual(['queue:GID_a@@@t']);
  });
});
