import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Logger } from '#config';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function javaAvailable(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts (or reuses) the single-node Kafka of tools/kafka and returns its bootstrap servers.
 * The script prints progress, which is passed on to the log, and `KAFKA_BROKERS=...` last.
 */
export function startLocalKafka(logger: Logger): Promise<string[]> {
  return new Promise((resolveBrokers, reject) => {
    const child = spawn('bash', [join(repoRoot, 'tools/kafka/start.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let brokers: string[] | undefined;
    const onLine = (line: string) => {
      const match = /^KAFKA_BROKERS=(.+)$/.exec(line.trim());
      if (match) brokers = match[1].split(',');
      else if (line.trim()) logger.info({ component: 'tools/kafka' }, line.trim());
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && brokers) resolveBrokers(brokers);
      else reject(new Error(`tools/kafka/start.sh failed (exit ${code})`));
    });
  });
}
