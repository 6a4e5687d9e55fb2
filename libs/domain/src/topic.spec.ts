import { isValidParentTopicName, MAX_MQTT_STRING_BYTES, parentTopicOf, TOPIC_PROBLEMS, validateTopicFilter, validateTopicName } from './topic.js';

const MAX = 128;

describe('validateTopicName', () => {
  it.each([
    'a',
    'telemetry/GID_a@@@d1/temp',
    '/',
    '//',
    'a/',
    '/a',
    'a//b',
    ' ',
    '$SYS/broker',
    'sport/tennis/player1',
    'ünïcödé/日本/😀',
    'x'.repeat(MAX),
  ])('accepts %j', (topic) => {
    expect(validateTopicName(topic, MAX)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['a/+', 'wildcard-in-topic-name'],
    ['+', 'wildcard-in-topic-name'],
    ['a/#', 'wildcard-in-topic-name'],
    ['a#b', 'wildcard-in-topic-name'],
    ['a+b', 'wildcard-in-topic-name'],
    ['a\u0000b', 'null-character'],
    ['a/\ud800', 'unpaired-surrogate'],
    ['\udc00/a', 'unpaired-surrogate'],
    ['\ud800x', 'unpaired-surrogate'],
    ['x'.repeat(MAX + 1), 'too-long'],
  ])('refuses %j: %s', (topic, reason) => {
    expect(validateTopicName(topic, MAX)).toBe(reason);
  });

  it('counts characters (code points), not UTF-16 units or bytes', () => {
    expect(validateTopicName('😀'.repeat(4), 4)).toBeNull(); // 8 UTF-16 units, 16 bytes
    expect(validateTopicName('😀'.repeat(5), 4)).toBe('too-long');
    expect(validateTopicName('日'.repeat(64), 64)).toBeNull();
  });

  it('keeps the UTF-8 encoding within one MQTT string whatever the limit', () => {
    const threeByteChars = Math.floor(MAX_MQTT_STRING_BYTES / 3);
    expect(validateTopicName('日'.repeat(threeByteChars), 1_000_000)).toBeNull();
    expect(validateTopicName('日'.repeat(threeByteChars + 1), 1_000_000)).toBe('too-long');
    expect(validateTopicName('a'.repeat(MAX_MQTT_STRING_BYTES + 1), 1_000_000)).toBe('too-long');
  });

  it('describes every problem', () => {
    for (const text of Object.values(TOPIC_PROBLEMS)) expect(text.length).toBeGreaterThan(0);
  });
});

describe('validateTopicFilter', () => {
  it.each([
    'a',
    '#',
    '+',
    '+/+',
    '/+',
    '+/',
    'a/#',
    'a/+/c',
    '+/tennis/#',
    'sport/+/player1',
    '$SYS/#',
    '/#',
    '//#',
    '+/#',
    'a//+',
    'x'.repeat(MAX),
  ])('accepts %j', (filter) => {
    expect(validateTopicFilter(filter, MAX)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['a+', 'plus-not-whole-level'],
    ['+a', 'plus-not-whole-level'],
    ['a/b+/c', 'plus-not-whole-level'],
    ['++', 'plus-not-whole-level'],
    ['a/+b', 'plus-not-whole-level'],
    ['a#', 'hash-not-last-level'],
    ['#a', 'hash-not-last-level'],
    ['a/#/b', 'hash-not-last-level'],
    ['#/', 'hash-not-last-level'],
    ['##', 'hash-not-last-level'],
    ['sport/tennis#', 'hash-not-last-level'],
    ['#/#', 'hash-not-last-level'],
    ['a/\u0000', 'null-character'],
    ['a/\ud83d', 'unpaired-surrogate'],
    ['x'.repeat(MAX + 1), 'too-long'],
  ])('refuses %j: %s', (filter, reason) => {
    expect(validateTopicFilter(filter, MAX)).toBe(reason);
  });
});

describe('isValidParentTopicName', () => {
  it.each([
    ['telemetry', true],
    ['cmd_v2-x', true],
    ['A', true],
    ['p2p', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['a/b', false],
    ['+', false],
    ['#', false],
    ['$SYS', false],
    ['a b', false],
    ['tëlé', false],
  ])('%j -> %s', (name, valid) => {
    expect(isValidParentTopicName(name)).toBe(valid);
  });
});

describe('parentTopicOf', () => {
  it.each([
    ['telemetry/a/b', 'telemetry'],
    ['telemetry', 'telemetry'],
    ['telemetry/', 'telemetry'],
    ['/a', ''],
    ['+/a', '+'],
    ['#', '#'],
    ['$SYS/x', '$SYS'],
  ])('%j -> %j', (topic, parent) => {
    expect(parentTopicOf(topic)).toBe(parent);
  });
});
