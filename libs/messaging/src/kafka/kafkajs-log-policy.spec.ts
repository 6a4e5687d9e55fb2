import { createRequire } from 'node:module';
import { SETTLING_ERRORS, STARTUP_WINDOW_MS, kafkaLogLevel } from './kafkajs-log-policy.js';

const require = createRequire(import.meta.url);
const { errorCodes } = require('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string }[] };

describe('kafkaLogLevel', () => {
  it('names the settling errors exactly as the installed kafkajs does', () => {
    for (const settling of SETTLING_ERRORS) {
      expect(errorCodes.find((code) => code.type === settling.type)?.message).toBe(settling.message);
    }
  });

  it.each([
    // a fresh broker electing leaders: kafkajs's "Response Metadata" line carries the protocol error
    ['error', 'Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election', 5_000, 'debug'],
    ['error', 'Response GroupCoordinator(key: 10, version: 2)', 'The group coordinator is not available', 5_000, 'debug'],
    ['error', 'Crash: KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator', undefined, 5_000, 'debug'],
    // the same after the start-up window: worth a warning, still not an error (kafkajs retries it)
    ['error', 'Response Metadata(key: 3, version: 6)', 'There is no leader for this topic-partition as we are in the middle of a leadership election', STARTUP_WINDOW_MS + 1, 'warn'],
    // anything else keeps its level
    ['error', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', undefined, 5_000, 'error'],
    ['warn', 'Consumer group rebalance timed out', undefined, 5_000, 'warn'],
    // the partitioner notice: nothing a user can do about it
    ['warn', 'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior ...', undefined, 5_000, 'silent'],
  ] as const)('%s "%s" (%s) after %d ms -> %s', (level, message, error, ms, expected) => {
    expect(kafkaLogLevel(level, message, error, ms)).toBe(expected);
  });
});
