import type { Qos } from '../types.js';

/** Header encodings shared by the uplink and downlink codecs (header values are UTF-8 text). */
export const QOS_TEXT: readonly string[] = ['0', '1', '2'];

export function parseQos(text: string | undefined, fallback: Qos | undefined): Qos | undefined {
  if (text === undefined) return fallback;
  if (text === '0' || text === '1' || text === '2') return Number(text) as Qos;
  return undefined;
}

export function retainText(retain: boolean): string {
  return retain ? 'true' : 'false';
}

/** Accepts what a backend producer is likely to write: true/false or 1/0. */
export function parseRetain(text: string | undefined, fallback: boolean | undefined): boolean | undefined {
  if (text === undefined) return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return undefined;
}

export function parseTimestamp(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  return Number(text);
}

/** MQTT topic names as far as delivery needs: non-empty, no wildcards, no U+0000 ([MQTT-4.7.1-1], [MQTT-1.5.3-2]). */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return 'empty topic';
  if (/[+#\u0000]/.test(topic)) return 'topic contains a wildcard or U+0000';
  if (topic.length > 65535) return 'topic too long';
  return null;
}
