import type { Redis } from 'ioredis';

/** QUIT when connected (pending replies arrive first), else drop the connection attempt. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
