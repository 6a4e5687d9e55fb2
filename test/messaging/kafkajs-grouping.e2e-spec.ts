import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// Which grouping kafkajs's producer keeps is decided once, when the module graph loads: each
// case loads a built public module in a child process, as the apps and the uplink worker do.
function probe(entry: string): { groupingIsFleetMq: boolean; producerLoaded: boolean } {
  const script = `
import ${JSON.stringify(resolve(entry))};
import { createRequire } from 'node:module';
import { groupMessagesPerPartition } from ${JSON.stringify(resolve('dist/libs/messaging/src/kafka/kafkajs-adapter.js'))};
const require = createRequire(${JSON.stringify(resolve('node_modules/kafkajs/index.js'))});
const sendMessages = require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')];
const grouping = sendMessages?.children.find((child) => child.id.endsWith('groupMessagesPerPartition.js'));
console.log(JSON.stringify({ producerLoaded: sendMessages !== undefined, groupingIsFleetMq: grouping?.exports === groupMessagesPerPartition }));
`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { groupingIsFleetMq: boolean; producerLoaded: boolean };
}

describe("kafkajs's producer groups a send's messages with FleetMQ's linear grouping", () => {
  it.each([
    ['the messaging library (rule router, console, uplink worker)', 'dist/libs/messaging/src/index.js'],
    ['the gateway', 'dist/apps/gateway/src/index.js'],
    ['the uplink worker', 'dist/libs/messaging/src/kafka/kafka-factory.js'],
  ])('when %s is loaded', (_name, entry) => {
    expect(probe(entry)).toEqual({ producerLoaded: true, groupingIsFleetMq: true });
  });
});
