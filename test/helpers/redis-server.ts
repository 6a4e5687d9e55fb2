// A private redis-server for a test file (bench/lib/redis-server.ts: ephemeral port, nothing on
// disk, never the machine's shared Redis on 6379).
import { redisServerMissing } from '../../bench/lib/redis-server.js';

export { PrivateRedisServer as TestRedisServer, REDIS_SERVER, redisServerMissing } from '../../bench/lib/redis-server.js';

/** `describe`, or a skipped block that prints why when redis-server is not installed. */
export const describeWithRedisServer = ((name: string, body: () => void) => {
  const missing = redisServerMissing();
  if (missing === undefined) return describe(name, body);
  process.stdout.write(`skipping "${name}": ${missing}\n`);
  return describe.skip(name, () => {
    it(`needs redis-server: ${missing}`, () => undefined);
  });
}) as (name: string, body: () => void) => void;
