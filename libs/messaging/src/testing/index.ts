// Public surface of #messaging/testing: fakes for unit specs of the apps, never used in production code.
export { FakeKafka } from './fake-producer.js';
export type { PendingSend } from './fake-producer.js';
