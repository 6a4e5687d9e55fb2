// A backend service that never speaks MQTT: it reads device telemetry from the Kafka topic an
// outflow rule fills, and answers each device with a command by producing to the Kafka topic an
// inflow rule reads (key = the device's client ID; the rule's template `cmd/p2p/${key}` turns
// it into a P2P message for that one device).
//
//   KAFKA_BROKERS=127.0.0.1:9092 node examples/backend-consumer.mjs
//
// Environment: TELEMETRY_TOPIC (default device-telemetry), COMMAND_TOPIC (default
// device-commands), GROUP_ID (default telemetry-backend). Plain kafkajs, nothing from FleetMQ.
import kafkajs from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const telemetryTopic = process.env.TELEMETRY_TOPIC ?? 'device-telemetry';
const commandTopic = process.env.COMMAND_TOPIC ?? 'device-commands';
const groupId = process.env.GROUP_ID ?? 'telemetry-backend';

const kafka = new kafkajs.Kafka({ clientId: 'example-backend', brokers, logLevel: kafkajs.logLevel.WARN });
const consumer = kafka.consumer({ groupId });
// An explicit partitioner (murmur2, as the Java client) keeps kafkajs from warning about its default.
const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });

const header = (message, name) => message.headers?.[name]?.toString();

await producer.connect();
await consumer.connect();
// The rule router creates the topic when the outflow rule is created; until then, wait for it.
for (let attempt = 1; ; attempt++) {
  try {
    await consumer.subscribe({ topic: telemetryTopic, fromBeginning: false });
    break;
  } catch (err) {
    if (err.type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt === 60) throw err;
    if (attempt === 1) console.log(`waiting for topic ${telemetryTopic} (create the outflow rule)`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
console.log(`reading ${telemetryTopic} as group ${groupId}; answering on ${commandTopic}`);

await consumer.run({
  eachMessage: async ({ partition, message }) => {
    // Outflow rules with format "raw" keep the payload as sent and describe it in headers;
    // the default keyStrategy "clientId" makes the key the device's client ID.
    const clientId = message.key?.toString() ?? header(message, 'fleetmq-client');
    const topic = header(message, 'fleetmq-topic');
    const msgId = header(message, 'fleetmq-msgid');
    console.log(`[p${partition}] ${clientId} on ${topic}: ${message.value?.toString()}`);
    if (!clientId) return;
    // One command back to that device; the key names the target client.
    await producer.send({
      topic: commandTopic,
      messages: [{ key: clientId, value: JSON.stringify({ ack: msgId, at: new Date().toISOString(), command: 'report-interval', seconds: 30 }) }],
    });
  },
});

const stop = async () => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
