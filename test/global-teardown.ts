// Stops only what global-setup.ts started. A Kafka it started stays up with FLEETMQ_KEEP_KAFKA=1,
// so local reruns skip the broker start (the next setup reuses it).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestInfraState } from './global-setup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function globalTeardown(): Promise<void> {
  const state: TestInfraState | undefined = globalThis.__FLEETMQ_TEST_INFRA__;
  if (state === undefined) return;
  globalThis.__FLEETMQ_TEST_INFRA__ = undefined;
  if (state.kafkaStartedBySetup && process.env.FLEETMQ_KEEP_KAFKA !== '1') {
    spawnSync('bash', [path.join(ROOT, 'tools/kafka/stop.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (state.embeddedPostgres) await state.embeddedPostgres.stop();
}
