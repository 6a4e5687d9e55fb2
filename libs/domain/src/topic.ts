/**
 * Topic names and filters (MQTT 3.1.1 §4.7, strings as in §1.5.3).
 * Lengths given to the validators count characters (Unicode code points), as the cloud
 * service's "64 characters" does; the UTF-8 encoding must also fit the 65535-byte MQTT string.
 */

/** Why a topic name or filter is refused; stable strings, safe to show to API users. */
export type TopicProblem =
  | 'empty'
  | 'too-long'
  | 'null-character'
  | 'unpaired-surrogate'
  | 'wildcard-in-topic-name'
  | 'plus-not-whole-level'
  | 'hash-not-last-level';

export const TOPIC_PROBLEMS: Readonly<Record<TopicProblem, string>> = {
  empty: 'must be at least one character',
  'too-long': 'is longer than allowed',
  'null-character': 'must not contain U+0000',
  'unpaired-surrogate': 'is not well-formed UTF-16 (unpaired surrogate)',
  'wildcard-in-topic-name': "a topic name must not contain '+' or '#'",
  'plus-not-whole-level': "'+' must occupy a whole topic level",
  'hash-not-last-level': "'#' must be the whole last topic level",
};

/** The MQTT string length prefix is 16 bits [MQTT-1.5.3]. */
export const MAX_MQTT_STRING_BYTES = 65535;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;

/** Checks shared by names and filters; calls `onWildcard` for each '+'/'#' at index i. */
function scan(text: string, maxLength: number, onWildcard: (i: number, code: number) => TopicProblem | null): TopicProblem | null {
  if (text.length === 0) return 'empty';
  let chars = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    chars++;
    if (code < 0x80) {
      if (code === 0) return 'null-character'; // [MQTT-4.7.3-2]
      bytes += 1;
      if (code === PLUS || code === HASH) {
        const problem = onWildcard(i, code);
        if (problem !== null) return problem;
      }
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'unpaired-surrogate'; // [MQTT-1.5.3-1]
      bytes += 4;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return 'unpaired-surrogate';
    } else {
      bytes += 3;
    }
  }
  if (chars > maxLength || bytes > MAX_MQTT_STRING_BYTES) return 'too-long';
  return null;
}

/** null when `topic` is a valid topic name of at most `maxLength` characters, else the reason. */
export function validateTopicName(topic: string, maxLength: number): TopicProblem | null {
  // [MQTT-4.7.1-1]: wildcards are for filters only.
  return scan(topic, maxLength, () => 'wildcard-in-topic-name');
}

/** null when `filter` is a valid topic filter of at most `maxLength` characters, else the reason. */
export function validateTopicFilter(filter: string, maxLength: number): TopicProblem | null {
  return scan(filter, maxLength, (i, code) => {
    const wholeLevel = (i === 0 || filter.charCodeAt(i - 1) === SLASH) && (i === filter.length - 1 || filter.charCodeAt(i + 1) === SLASH);
    if (code === PLUS) return wholeLevel ? null : 'plus-not-whole-level'; // [MQTT-4.7.1-3]
    return wholeLevel && i === filter.length - 1 ? null : 'hash-not-last-level'; // [MQTT-4.7.1-2]
  });
}

const PARENT_TOPIC = /^[A-Za-z0-9_-]{1,64}$/;

/** A parent topic is exactly one level: the first level of every topic a device uses. */
export function isValidParentTopicName(name: string): boolean {
  return PARENT_TOPIC.test(name);
}

/** The first level of a topic name or filter (the whole string when it has one level). */
export function parentTopicOf(topicOrFilter: string): string {
  const slash = topicOrFilter.indexOf('/');
  return slash < 0 ? topicOrFilter : topicOrFilter.slice(0, slash);
}
