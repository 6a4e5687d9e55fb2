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
 * The installed version of aedes, or of the mqtt-packet aedes itself loads (read from their
 * package.json; aedes's exports map hides its package.json, so it is found next to its entry).
 */
export function engineVersion(engine: 'aedes' | 'mqtt-packet'): string {
  try {
    const fromHere = createRequire(import.meta.url);
    const aedesEntry = fromHere.resolve('aedes');
    const file = engine === 'aedes' ? aedesEntry.replace(/[^/\\]+$/, 'package.json') : createRequire(aedesEntry).resolve('mqtt-packet/package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The text of one of aedes' own files (e.g. `lib/handlers/connect.js`), or '' when it cannot be read. */
export function aedesSourceFile(relative: string): string {
  try {
    const aedesEntry = createRequire(import.meta.url).resolve('aedes');
    return readFileSync(aedesEntry.replace(/[^/\\]+$/, relative), 'utf8');
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
