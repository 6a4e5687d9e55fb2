/**
 * A load-generator process: holds MQTT connections (and optionally a Kafka client) and runs
 * what the runner asks over IPC. Several run side by side because one process may hold at
 * most ~19.5k sockets (open-file limit) and one source address ~28k ephemeral ports.
 */
import { rateClose, rateConnect, rateConsume, rateConsumed, rateCounters, rateKafkaStop, ratePublish, rateProduce } from './fixed-rate-load.js';
import { KafkaSide } from './kafka-side.js';
import { close, connect, counters, fanIn, poolOf, publish, reconnect, setProgress } from './load.js';
import type { FromWorker, Request } from './protocol.js';

function send(msg: FromWorker): void {
  process.send?.(msg);
}
const progress = (text: string): void => send({ kind: 'progress', text });
setProgress(progress);
let kafka: KafkaSide | undefined;
const pools = new Set<string>();

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'connect':
      pools.add(req.spec.pool);
      return connect(req.spec);
    case 'reconnect':
      return reconnect(req.pool, req.localAddresses, req.concurrency);
    case 'close':
      return close(req.pool);
    case 'pauseReading':
      for (const c of poolOf(req.pool).clients) c?.socket.pause();
      return undefined;
    case 'resumeReading':
      for (const c of poolOf(req.pool).clients) c?.socket.resume();
      return undefined;
    case 'counters':
      return counters(req.pool, req.runTag, req.remove);
    case 'fanIn':
      return fanIn(req.spec);
    case 'publish':
      return publish(req.spec);
    case 'kafkaConsume':
      kafka ??= new KafkaSide(progress);
      return kafka.consume(req.spec);
    case 'kafkaCounters':
      if (!kafka) throw new Error('no Kafka consumer');
      return kafka.counters(req.runTag, req.remove);
    case 'kafkaStop':
      await kafka?.stop();
      kafka = undefined;
      return undefined;
    case 'kafkaProduce':
      kafka ??= new KafkaSide(progress);
      return kafka.produce(req.spec);
    case 'rateConnect':
      return rateConnect(req.spec);
    case 'ratePublish':
      return ratePublish(req.spec);
    case 'rateCounters':
      return rateCounters(req.pool, req.runTag, req.remove);
    case 'rateClose':
      return rateClose(req.pool);
    case 'rateProduce':
      return rateProduce(req.spec);
    case 'rateConsume':
      return rateConsume(req.spec);
    case 'rateConsumed':
      return rateConsumed(req.runTag, req.remove);
    case 'exit':
      for (const name of pools) close(name);
      await kafka?.stop();
      await rateKafkaStop();
      setTimeout(() => process.exit(0), 50);
      return undefined;
  }
}

process.on('message', (msg: { id: number; req: Request }) => {
  handle(msg.req).then(
    (result) => send({ kind: 'reply', id: msg.id, ok: true, result: result ?? null }),
    (err: unknown) => send({ kind: 'reply', id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
