import { jest } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { KafkaProbe } from './kafka-probe.js';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('KafkaProbe', () => {
  const logger = pino({ level: 'silent' });

  it('answers none without brokers', async () => {
    await expect(new KafkaProbe(undefined, logger, 500).state()).resolves.toBe('none');
    await expect(new KafkaProbe([], logger, 500).state()).resolves.toBe('none');
  });

  it('answers down when the broker refuses, and warns once, not at every sample', async () => {
    const warn = jest.spyOn(logger, 'warn');
    const probe = new KafkaProbe([`127.0.0.1:${await closedPort()}`], logger, 1_000);
    try {
      expect(await probe.state()).toBe('down');
      expect(await probe.state()).toBe('down');
      // Its own warning; the engine check may add one of its own (kafkajs-adapter.ts).
      expect(warn.mock.calls.filter((call) => call[1] === 'overview: Kafka does not answer')).toHaveLength(1);
    } finally {
      await probe.close();
    }
  }, 20_000);
});
