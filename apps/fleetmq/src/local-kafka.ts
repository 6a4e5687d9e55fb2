import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Logger } from '#config';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function javaAvailable(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

export interface LocalKafka {
  brokers: string[];
  /** True when this start launched the broker; false when it reused one already running. */
  startedHere: boolean;
}

/**
 * Starts (or reuses) the single-node Kafka of tools/kafka and returns its bootstrap servers.
 * The script prints progress, which is passed on to the log, then `KAFKA_STARTED=true|false`
 * and `KAFKA_BROKERS=...`.
 */
export function startLocalKafka(logger: Logger): Promise<LocalKafka> {
  return new Promise((resolveKafka, reject) => {
    const child = spawn('bash', [join(repoRoot, 'tools/kafka/start.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let brokers: string[] | undefined;
    let startedHere = false;
    const onLine = (line: string) => {
      const text = line.trim();
      const brokersLine = /^KAFKA_BROKERS=(.+)$/.exec(text);
      if (brokersLine) brokers = brokersLine[1].split(',');
      else if (/^KAFKA_STARTED=/.test(text)) startedHere = text === 'KAFKA_STARTED=true';
      else if (text) logger.info({ component: 'tools/kafka' }, text.replace(/^\[kafka\] /, ''));
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
      if (code === 0 && brokers) resolveKafka({ brokers, startedHere });
      else reject(new Error(`tools/kafka/start.sh failed (exit ${code}); see the lines above, or set KAFKA_BROKERS to a running Kafka`));
    });
  });
}

/** Stops the broker tools/kafka started (its stop.sh: clean shutdown, data kept). */
export function stopLocalKafka(logger: Logger): Promise<void> {
  return new Promise((resolveStop) => {
    const child = spawn('bash', [join(repoRoot, 'tools/kafka/stop.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => logger.debug({ component: 'tools/kafka' }, chunk.toString().trim()));
    child.on('error', (err) => {
      logger.warn({ err }, 'could not stop the local Kafka: run npm run kafka:stop');
      resolveStop();
    });
    child.on('exit', () => resolveStop());
  });
}
