import { isValidKafkaTopicName } from './kafka-topic.js';

describe('isValidKafkaTopicName', () => {
  it.each([
    ['fleetmq.uplink', true],
    ['backend_orders-v2', true],
    ['A.b_C-9', true],
    ['x', true],
    ['...', true],
    ['a'.repeat(249), true],
    ['a'.repeat(250), false],
    ['.', false],
    ['..', false],
    ['', false],
    ['a b', false],
    ['a/b', false],
    ['a:b', false],
    ['tópico', false],
  ])('%j -> %s', (name, valid) => {
    expect(isValidKafkaTopicName(name)).toBe(valid);
  });
});
