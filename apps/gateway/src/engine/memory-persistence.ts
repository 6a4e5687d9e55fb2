import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';

// Named `require` so the boundary check (tools/boundaries) sees which package this file loads.
const require = createRequire(import.meta.url);

/** aedes' own default persistence (aedes-persistence, in memory), made here so it can be wrapped (bounded-offline-queue.ts). */
export function createMemoryPersistence(): NonNullable<AedesOptions['persistence']> {
  return (require('aedes-persistence') as () => NonNullable<AedesOptions['persistence']>)();
}
