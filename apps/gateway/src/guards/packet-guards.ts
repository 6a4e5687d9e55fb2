import { isUtf8 } from 'node:buffer';
import { validateTopicName } from '#domain';

/**
 * Checks mqtt-packet 9 does not make (RELIABILITY.md "Known gap"), installed on each
 * connection's parser instance:
 * - strings: mqtt-packet decodes with Buffer.toString('utf8'), which turns ill-formed bytes
 *   into U+FFFD and keeps U+0000. A decoded string without U+FFFD came from well-formed
 *   UTF-8 (V8 replaces every ill-formed sequence, surrogates and overlongs included), so
 *   only strings containing U+FFFD have their raw bytes re-checked with isUtf8(): a real
 *   U+FFFD sent by the client stays legal [MQTT-1.5.3-1]. U+0000 is refused [MQTT-1.5.3-2].
 * - packet identifier 0 on PUBLISH QoS>0, SUBSCRIBE and UNSUBSCRIBE [MQTT-2.3.1-1].
 * - size: the remaining length is checked as soon as it is decoded, before the body is
 *   buffered, so a 256 MB length costs nothing (aedes#1086); before CONNACK the lower
 *   pre-CONNECT cap applies, and the total bytes read before CONNACK are capped too.
 * A failed check makes the parser emit 'error', which aedes answers by closing the socket.
 */
export type Violation =
  | 'oversize'
  | 'pre-connect-bytes'
  | 'invalid-utf8'
  | 'null-character'
  | 'packet-id-zero'
  | 'invalid-will-topic'
  | 'malformed';

export interface GuardLimits {
  maxPayloadBytes: number;
  maxTopicLength: number;
  preConnectMaxBytes: number;
}

/** Largest remaining length a PUBLISH within the limits can have (topic in UTF-8, packet id). */
export function maxPacketBytes(limits: GuardLimits): number {
  return limits.maxPayloadBytes + 2 + Math.min(65535, limits.maxTopicLength * 4) + 2;
}

/** Why an MQTT string (raw bytes, decoded text) is refused, or null. */
export function mqttStringProblem(raw: Buffer, decoded: string): 'invalid-utf8' | 'null-character' | null {
  if (decoded.indexOf('\uFFFD') !== -1 && !isUtf8(raw)) return 'invalid-utf8';
  if (decoded.indexOf('\u0000') !== -1) return 'null-character';
  return null;
}

/** The mqtt-packet Parser internals the guards wrap (mqtt-packet 9.0.x parser.js). */
export interface ParserInternals {
  _list: { length: number; slice(start: number, end: number): Buffer };
  _pos: number;
  packet: { cmd?: string; length: number; qos?: number; messageId?: number };
  error: Error | null;
  parse(buf: Buffer): number;
  _parseLength(): boolean;
  _parseString(): string | null;
  _parseMessageId(): boolean;
  _emitError(err: Error): void;
  prependListener(event: 'packet', listener: (packet: ParsedPacket) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ParsedPacket {
  cmd: string;
  qos?: number;
  payload?: Buffer;
  topic?: string;
  will?: { topic: string; payload: Buffer };
  unsubscriptions?: string[];
}

export interface GuardTarget {
  /** True once CONNACK 0 was written. */
  connected(): boolean;
  /** Called once per connection with the first violation found. */
  violation(kind: Violation): void;
  /** Every packet that passed the guards, before aedes sees it. */
  packet?(packet: ParsedPacket): void;
  /** Closes the connection without waiting for the parser (pre-CONNECT byte cap). */
  destroy(): void;
}

const NEEDS_ID = new Set(['subscribe', 'unsubscribe', 'publish']);

export function installPacketGuards(parser: ParserInternals, limits: GuardLimits, target: GuardTarget): void {
  const maxPacket = maxPacketBytes(limits);
  const preConnectMax = Math.min(maxPacket, limits.preConnectMaxBytes);
  let preConnectBytes = 0;
  let failed = false;
  const fail = (kind: Violation, message: string): void => {
    if (!failed) {
      failed = true;
      target.violation(kind);
    }
    parser._emitError(new Error(message));
  };

  const parse = parser.parse;
  parser.parse = function guardedParse(this: ParserInternals, buf: Buffer): number {
    if (failed) return 0;
    if (!target.connected()) {
      preConnectBytes += buf.length;
      if (preConnectBytes > limits.preConnectMaxBytes) {
        failed = true;
        target.violation('pre-connect-bytes');
        target.destroy();
        return 0;
      }
    }
    return parse.call(this, buf);
  };

  const parseLength = parser._parseLength;
  parser._parseLength = function guardedLength(this: ParserInternals): boolean {
    if (!parseLength.call(this)) return false;
    const cap = target.connected() ? maxPacket : preConnectMax;
    if (this.packet.length > cap) {
      fail('oversize', `packet of ${this.packet.length} bytes exceeds ${cap}`);
      return false;
    }
    return true;
  };

  const parseString = parser._parseString;
  parser._parseString = function guardedString(this: ParserInternals): string | null {
    const start = this._pos + 2;
    const text = parseString.call(this);
    if (text === null) return null;
    const problem = mqttStringProblem(this._list.slice(start, this._pos), text);
    if (problem !== null) {
      // mqtt-packet turns the null into "Cannot parse ..." and emits 'error' itself.
      if (!failed) {
        failed = true;
        target.violation(problem);
      }
      return null;
    }
    return text;
  };

  const parseMessageId = parser._parseMessageId;
  parser._parseMessageId = function guardedMessageId(this: ParserInternals): boolean {
    if (!parseMessageId.call(this)) return false;
    if (this.packet.messageId === 0 && NEEDS_ID.has(this.packet.cmd ?? '')) {
      fail('packet-id-zero', 'packet identifier 0 [MQTT-2.3.1-1]');
      return false;
    }
    return true;
  };

  parser.prependListener('packet', (packet: ParsedPacket) => {
    if (failed) {
      packet.cmd = 'refused'; // aedes closes on an unknown command instead of handling it
      return;
    }
    let problem: Violation | null = null;
    if (packet.cmd === 'publish' && packet.payload !== undefined && packet.payload.length > limits.maxPayloadBytes) {
      problem = 'oversize';
    } else if (packet.cmd === 'connect' && packet.will !== undefined) {
      if (validateTopicName(packet.will.topic, limits.maxTopicLength) !== null) problem = 'invalid-will-topic';
      else if (packet.will.payload.length > limits.maxPayloadBytes) problem = 'oversize';
    }
    if (problem !== null) {
      fail(problem, `refused ${packet.cmd}: ${problem}`);
      packet.cmd = 'refused';
      return;
    }
    target.packet?.(packet);
  });

  parser.on('error', () => {
    if (!failed) {
      failed = true;
      target.violation('malformed');
    }
  });
}
