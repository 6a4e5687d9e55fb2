import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { Aedes } from 'aedes';

/** What an engine check decided; also the fields of its warning. */
export interface EngineCheck {
  engine: 'aedes' | 'mqtt-packet';
  expectedVersion: string;
  foundVersion: string;
  patched: boolean;
  /** Why the patches are not applied (fallback only). */
  reason?: string;
}

/** A client of a throwaway broker, used once at start to check the engines' internal shapes. */
export interface EngineProbe {
  broker: object;
  client: object;
}

/**
 * The path of a file of the installed aedes, from its package root (aedes's exports map hides
 * its package.json and lib/, so they are found next to its entry, which sits at the root).
 * Throws when aedes cannot be resolved.
 */
function aedesPath(relative: string): string {
  return createRequire(import.meta.url).resolve('aedes').replace(/[^/\\]+$/, relative);
}

/** The installed version of aedes, or of the mqtt-packet aedes itself loads (read from their package.json). */
export function engineVersion(engine: 'aedes' | 'mqtt-packet'): string {
  try {
    const file = engine === 'aedes' ? aedesPath('package.json') : createRequire(aedesPath('package.json')).resolve('mqtt-packet/package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The text of one of aedes' own files (e.g. `lib/handlers/connect.js`), or '' when it cannot be read. */
export function aedesSourceFile(relative: string): string {
  try {
    return readFileSync(aedesPath(relative), 'utf8');
  } catch {
    return '';
  }
}

/** Runs `check` against a client of a throwaway broker on a stream that never delivers a byte. */
export async function withProbeClient<T>(check: (probe: EngineProbe) => T): Promise<T> {
  const broker = await Aedes.createBroker({});
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  try {
    return check({ broker, client: broker.handle(stream) });
  } finally {
    stream.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
