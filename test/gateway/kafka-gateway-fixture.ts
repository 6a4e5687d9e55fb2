// One gateway node on the shared test Kafka over its own PostgreSQL schema, for a whole describe
// block: the Kafka e2e specs all start, wire and tear down the same pieces, in the same order.
import mqtt from 'mqtt';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { dropSchema, uniqueSchema } from '../helpers/database.js';
import { RecordCollector, openTestDataSource, rawProducer, startNode, testKafka, uniqueId, type TestNode } from './kafka-harness.js';
import { testKafkaBrokers } from '../helpers/kafka.js';

export interface KafkaGatewayFixtureOptions {
  /** Prefix of the file's own PostgreSQL schema. */
  schemaPrefix: string;
  /** Prefix of the run marker that the file's client IDs and keys contain. */
  markerPrefix: string;
  /** Also connect a raw Kafka producer. */
  producer?: boolean;
  /** Also collect the records of `topic` that `select` keeps (given the run marker), produced from the start on. */
  collect?: { topic: string; select: (m: KafkaMessage, marker: string) => boolean };
}

export interface KafkaGatewayFixture {
  readonly schema: string;
  readonly brokers: string[];
  readonly kafka: Kafka;
  readonly marker: string;
  /** Clients ended after the tests; tests may add clients of their own. */
  readonly clients: mqtt.MqttClient[];
  // Started in beforeAll: reading them earlier throws.
  readonly ds: DataSource;
  readonly node: TestNode;
  readonly producer: Producer;
  readonly collector: RecordCollector;
  /** An MQTT client of the node (no reconnects), ended after the tests. */
  connect(clientId: string, options?: mqtt.IClientOptions): Promise<mqtt.MqttClient>;
}

/** Registers the beforeAll/afterAll hooks of the calling describe block and returns what they start. */
export function useKafkaGatewayFixture(opts: KafkaGatewayFixtureOptions): KafkaGatewayFixture {
  const schema = uniqueSchema(opts.schemaPrefix);
  const brokers = testKafkaBrokers();
  const kafka = testKafka(brokers);
  const marker = uniqueId(opts.markerPrefix);
  const clients: mqtt.MqttClient[] = [];
  let ds: DataSource | undefined;
  let node: TestNode | undefined;
  let producer: Producer | undefined;
  let collector: RecordCollector | undefined;

  beforeAll(async () => {
    ds = await openTestDataSource(schema);
    node = await startNode({ brokers, dataSource: ds });
    if (opts.producer) producer = await rawProducer(kafka);
    if (opts.collect) {
      const { topic, select } = opts.collect;
      collector = new RecordCollector(kafka, topic, (m) => select(m, marker));
      await collector.start();
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await collector?.stop();
    await producer?.disconnect();
    await node?.stop();
    await ds?.destroy();
    await dropSchema(schema);
  });

  function started<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`${what} is not started: use it in a test or hook, and pass the option that starts it`);
    return value;
  }

  return {
    schema,
    brokers,
    kafka,
    marker,
    clients,
    get ds() {
      return started(ds, 'the data source');
    },
    get node() {
      return started(node, 'the gateway node');
    },
    get producer() {
      return started(producer, 'the Kafka producer');
    },
    get collector() {
      return started(collector, 'the record collector');
    },
    async connect(clientId, options = {}) {
      const c = await mqtt.connectAsync(started(node, 'the gateway node').url, { clientId, reconnectPeriod: 0, ...options });
      clients.push(c);
      return c;
    },
  };
}
