import { loadConfig } from '#config';
import { bodyLimits } from './body-limit.js';

describe('bodyLimits', () => {
  const limits = (env: Record<string, string> = {}) => bodyLimits(loadConfig('all-in-one', env).limits);

  it('sizes a message route to one maximal payload in base64 and a batch to 100 of them', () => {
    const { small, message, batch } = limits({ FLEETMQ_MAX_PAYLOAD_BYTES: '262144' });
    expect(message).toBeGreaterThanOrEqual(Math.ceil(262144 / 3) * 4);
    expect(message).toBeLessThan(262144 * 2);
    expect(batch).toBeGreaterThanOrEqual(100 * message);
    expect(batch).toBeLessThan(101 * message);
    expect(small).toBe(64 * 1024);
  });

  it('keeps small bodies big enough for a token request of 100 maximal resources', () => {
    expect(limits({ FLEETMQ_MAX_TOPIC_LENGTH: '4096' }).small).toBeGreaterThanOrEqual(100 * 4096);
  });
});
