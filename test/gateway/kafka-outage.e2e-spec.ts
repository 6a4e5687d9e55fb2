import mqtt from 'mqtt';
import { register } from 'prom-client';
import type { DataSource } from 'typeorm';
import { HEADERS, UPLINK_TOPIC } from '#messaging';
import { dropSchema, uniqueSchema } from '../helpers/database.js';
import { RecordCollector, header, openTestDataSource, startNode, testKafka, uniqueId, type TestNode } from './kafka-harness.js';
import { PrivateKafka, describeWithKafka } from '../helpers/kafka.js';
import { sleep } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Kafka stops under QoS 1 load (RELIABILITY.md §4.3): while it is down no PUBACK goes out, and
 * after it is back every acknowledged message is in Kafka (duplicates allowed, loss not).
 * Uses its own broker (tools/kafka with a private home folder and port): the shared one stays up.
 */
const gauge = async (name: string) => (await register.getSingleMetric(name)!.get()).values[0]?.value;

/** The outage itself: how long no broker runs while the client keeps publishing. */
const OUTAGE_MS = 4_000;
/** Publishing goes on this long after the restart, so records sent to a recovering broker are covered. */
const PUBLISHING_AFTER_RESTART_MS = 500;
/** Pace of the publishing device (about 250 PUBLISHes/s). */
const PUBLISH_INTERVAL_MS = 4;

describeWithKafka('uplink while Kafka stops and restarts (private broker)', () => {
  const schema = uniqueSchema('kout');
  const broker = new PrivateKafka();
  const clientId = uniqueId('outage-');
  let ds: DataSource;
  let node: TestNode;
  let client: mqtt.MqttClient | undefined;

  beforeAll(async () => {
    await broker.start();
    await broker.waitForCoordinator();
    ds = await openTestDataSource(schema);
    node = await startNode({ brokers: broker.brokers, dataSource: ds, env: { FLEETMQ_KAFKA_PARTITIONS: '2' } });
  }, 180_000);

  afterAll(async () => {
    await client?.endAsync(true).catch(() => {});
    await node?.stop().catch(() => {});
    await broker.destroy();
    await ds?.destroy();
    await dropSchema(schema);
  }, 60_000);

  it('withholds PUBACK while Kafka is down and loses no acknowledged message', async () => {
    client = await mqtt.connectAsync(node.url, { clientId, reconnectPeriod: 0, keepalive: 120 });
    const ackedAt = new Map<number, number>();
    let sent = 0;
    let publishing = true;
    const failures: unknown[] = [];
    const pump = (async () => {
      while (publishing) {
        const seq = sent++;
        client!.publishAsync('outage/seq', String(seq), { qos: 1 }).then(
          () => ackedAt.set(seq, Date.now()),
          (err: unknown) => failures.push(err),
        );
        await sleep(PUBLISH_INTERVAL_MS);
      }
    })();

    await waitFor(() => (ackedAt.size >= 200 ? true : undefined), { timeoutMs: 20_000, what: '200 acks before the outage' });
    await broker.stop();
    const downAt = Date.now();
    const ackedBeforeDown = ackedAt.size;
    await sleep(OUTAGE_MS);
    const kafkaUpWhileDown = await gauge('fleetmq_kafka_up');
    const restartAt = Date.now();
    // Nothing may be acknowledged while no broker runs (a grace of 200 ms for acks already on the wire).
    const ackedWhileDown = [...ackedAt.values()].filter((t) => t > downAt + 200 && t < restartAt).length;
    const sentWhileDown = sent;
    await broker.start();
    await sleep(PUBLISHING_AFTER_RESTART_MS);
    publishing = false;
    await pump;
    const total = sent;
    // Everything sent gets its PUBACK once Kafka is back (the producer retries the held batch).
    await waitFor(() => (ackedAt.size === total ? true : undefined), { timeoutMs: 90_000, what: `all ${total} acks after the restart` });

    expect(ackedWhileDown).toBe(0);
    expect(kafkaUpWhileDown).toBe(0);
    expect(await gauge('fleetmq_kafka_up')).toBe(1);
    expect(sentWhileDown - ackedBeforeDown).toBeGreaterThan(100); // the device kept publishing while Kafka was down
    expect(failures).toEqual([]);

    const collector = new RecordCollector(testKafka(broker.brokers), UPLINK_TOPIC, (m) => header(m, HEADERS.client) === clientId);
    await collector.start('beginning');
    try {
      await collector.waitUntil((records) => new Set(records.map((r) => Number(r.message.value!.toString()))).size >= total, 60_000, 'every acked record');
      const inKafka = new Set(collector.records.map((r) => Number(r.message.value!.toString())));
      const missing = [...ackedAt.keys()].filter((seq) => !inKafka.has(seq));
      expect(missing).toEqual([]);
      // Order per client: first occurrences appear in publish order (retries may duplicate, never reorder).
      const firsts: number[] = [];
      const seen = new Set<number>();
      for (const r of collector.records) {
        const seq = Number(r.message.value!.toString());
        if (!seen.has(seq)) {
          seen.add(seq);
          firsts.push(seq);
        }
      }
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    } finally {
      await collector.stop();
    }
  }, 240_000);
});
