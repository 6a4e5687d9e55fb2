import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '#config';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../apps/fleetmq/src/embedded-database.js';

// The embedded PostgreSQL's port is found free, then bound by PostgreSQL a moment later: another
// process's connection can take it in between. A real PostgreSQL meets a port held by a listener.

function listenAnywhere(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    // Connections are closed at once: the start's readiness probe must not hang on this holder.
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve({ server, port: address.port });
      else reject(new Error('no port'));
    });
  });
}

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('embedded PostgreSQL: a picked port taken before it binds', () => {
  let dir: string;
  let held: { server: Server; port: number };
  let database: EmbeddedDatabase | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetmq-pgport-'));
    held = await listenAnywhere();
  });

  afterEach(async () => {
    await database?.stop();
    database = undefined;
    await closeServer(held.server);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts on another picked port and serves queries there', async () => {
    const picked: number[] = [];
    const spare = await listenAnywhere();
    await closeServer(spare.server);
    const offers = [held.port, spare.port];
    database = await startEmbeddedDatabase(dir, createLogger('silent'), {
      pickPort: async () => {
        const port = offers.shift();
        if (port === undefined) throw new Error('asked for more ports than offered');
        picked.push(port);
        return port;
      },
    });
    expect(picked).toEqual([held.port, spare.port]);
    expect(database.port).toBe(spare.port);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  }, 120_000);

  it('a fixed port that is taken fails at once, naming PostgreSQL and the reason', async () => {
    await expect(startEmbeddedDatabase(dir, createLogger('silent'), { port: held.port })).rejects.toThrow(/embedded PostgreSQL .* did not start: .*could not create any TCP\/IP sockets/);
  }, 120_000);

  it('gives up after three picked ports that were all taken', async () => {
    let asked = 0;
    await expect(
      startEmbeddedDatabase(dir, createLogger('silent'), {
        pickPort: async () => {
          asked++;
          return held.port;
        },
      }),
    ).rejects.toThrow(/could not create any TCP\/IP sockets/);
    expect(asked).toBe(3);
  }, 120_000);
});
