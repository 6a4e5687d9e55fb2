import { createServer } from 'node:net';
import { findPortOwner } from './port-owner.js';
import { StartError } from './start-error.js';

export interface PortToCheck {
  port: number;
  /** The variable that sets it, named in the fix. */
  variable: string;
}

/**
 * Binds each port once and lets go, before anything is started: a taken port then fails the
 * start at once, naming the program that holds it, instead of after the database and Kafka.
 */
export async function checkPortsFree(host: string, ports: readonly PortToCheck[]): Promise<void> {
  for (const { port, variable } of ports) {
    if (port === 0) continue;
    const error = await tryBind(host, port);
    if (error !== undefined) throw portError(error, port, variable);
  }
}

/** Turns a listen error (EADDRINUSE, EACCES) into a StartError naming the port, its holder and the fix. */
export function portError(error: NodeJS.ErrnoException, port: number, variable: string): Error {
  if (error.code === 'EACCES') {
    return new StartError(`port ${port} (${variable}) needs privileges this user does not have`, `Choose a port above 1023, e.g. ${variable}=${port + 10000}`);
  }
  if (error.code !== 'EADDRINUSE') return error;
  const owner = findPortOwner(port);
  const holder = owner === undefined ? 'another program' : owner.command.includes('fleetmq') ? `another FleetMQ (pid ${owner.pid})` : `pid ${owner.pid} (${owner.command})`;
  return new StartError(`port ${port} (${variable}) is already in use by ${holder}`, `Stop it, or choose a free port, e.g. ${variable}=${port + 1}`);
}

function tryBind(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
