/**
 * The "bare aedes" benchmark peer: aedes 1.2 with its default in-memory persistence and
 * emitter, no hooks, on a plain TCP server. Prints `PORT=<n>` once listening.
 * Usage: node dist/bench/peers/bare-aedes.js [port]   (0 or absent = ephemeral)
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
const requested = Number(process.argv[2] ?? 0);

server.listen(requested, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requested;
  process.stdout.write(`PORT=${port}\n`);
});

// A clean exit lets --cpu-prof write its profile.
const shutdown = (): void => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
