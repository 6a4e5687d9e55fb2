import { createServer, type Server, type Socket } from 'node:net';
import { connectClient } from '../../bench/lib/mqtt-client.js';
import { isSourcePortTaken, SourcePorts } from '../../bench/lib/source-ports.js';

describe('bench: local ports chosen by the load generator', () => {
  it('hands out the ports of each source address in turn, wrapping round the range', () => {
    const ports = new SourcePorts();
    expect([ports.take('127.0.0.9'), ports.take('127.0.0.9'), ports.take('127.0.0.10')]).toEqual([SourcePorts.FIRST, SourcePorts.FIRST + 1, SourcePorts.FIRST]);
    for (let p = SourcePorts.FIRST + 2; p <= SourcePorts.LAST; p++) ports.take('127.0.0.9');
    expect(ports.take('127.0.0.9')).toBe(SourcePorts.FIRST);
  });

  it('tells a taken port from any other failure', () => {
    const err = (code: string): Error => Object.assign(new Error(code), { code });
    expect(isSourcePortTaken(err('EADDRINUSE'))).toBe(true);
    expect(isSourcePortTaken(err('EADDRNOTAVAIL'))).toBe(true);
    expect(isSourcePortTaken(err('ECONNREFUSED'))).toBe(false);
    expect(isSourcePortTaken(new Error('CONNACK 5'))).toBe(false);
  });

  describe('over real sockets', () => {
    const address = '127.0.0.251';
    let broker: Server;
    let brokerPort: number;
    const peers: number[] = [];
    const held: Server[] = [];
    const open: Socket[] = [];

    beforeAll(async () => {
      // Answers every CONNECT with CONNACK 0 and records the client's source port.
      broker = createServer((socket) => {
        open.push(socket);
        peers.push(socket.remotePort!);
        socket.once('data', () => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
      brokerPort = (broker.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of open) s.destroy();
      await Promise.all([broker, ...held].map((s) => new Promise((resolve) => s.close(resolve))));
    });

    it('connects from the next free port of the address, skipping one another socket holds', async () => {
      // This module's allocator has not used the address yet: its first port is FIRST, taken here.
      const blocker = createServer();
      held.push(blocker);
      await new Promise<void>((resolve) => blocker.listen(SourcePorts.FIRST, address, resolve));

      const opts = { host: '127.0.0.1', port: brokerPort, localAddress: address, keepalive: 0, clean: true, timeoutMs: 5_000 };
      const a = await connectClient({ ...opts, clientId: 'a' });
      const b = await connectClient({ ...opts, clientId: 'b' });
      expect([a.socket.localAddress, a.socket.localPort]).toEqual([address, SourcePorts.FIRST + 1]);
      expect([b.socket.localAddress, b.socket.localPort]).toEqual([address, SourcePorts.FIRST + 2]);
      expect(peers.slice(-2)).toEqual([SourcePorts.FIRST + 1, SourcePorts.FIRST + 2]);
      a.destroy();
      b.destroy();
    });

    it('still fails at once for a reason other than the port', async () => {
      await expect(connectClient({ host: '127.0.0.1', port: 1, localAddress: address, clientId: 'c', keepalive: 0, clean: true, timeoutMs: 5_000 }))
        .rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });
});
