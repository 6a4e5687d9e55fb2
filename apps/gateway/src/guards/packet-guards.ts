import { isUtf8 } from 'node:buffer';
import { validateTopicName } from '#domain';
import { ChunkList } from './chunk-list.js';

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

/** The mqtt-packet Parser internals the guards use (mqtt-packet 9.0.x parser.js). */
export interface ParserInternals {
  _list: { length: number; slice(start: number, end: number): Buffer };
  _pos: number;
  _states: string[];
  packet: { cmd?: string; length: number; qos?: number; messageId?: number };
  settings: { protocolVersion?: number };
  error: Error | null;
  parse(buf: Buffer): number;
  _parseLength(): boolean;
  _parseString(): string | null;
  _parseMessageId(): boolean;
  _emitError(err: Error): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

export interface ParsedPacket {
  cmd: string;
  qos?: number;
  payload?: Buffer;
  topic?: string;
  protocolVersion?: number;
  bridgeMode?: boolean;
  will?: { topic: string; payload: Buffer };
  unsubscriptions?: string[];
}

/**
 * The connection the guards report to. It also keeps the guards' two per-connection facts,
 * so a guarded parser carries one extra field and no closures.
 */
export interface GuardTarget {
  /** Bytes read before CONNACK. */
  preConnectBytes: number;
  /** A violation was reported; the parser reads nothing more. */
  guardFailed: boolean;
  /** True once CONNACK 0 was written. */
  connected(): boolean;
  /** Called once per connection with the first violation found. */
  violation(kind: Violation): void;
  /** Every packet that passed the guards, before aedes sees it. */
  packet?(packet: ParsedPacket): void;
  /** Closes the connection without waiting for the parser (pre-CONNECT byte cap). */
  destroy(): void;
}

interface GuardedParser extends ParserInternals {
  _guard: GuardTarget;
}

const NEEDS_ID = new Set(['subscribe', 'unsubscribe', 'publish']);
// mqtt-packet gives every parser its own copy of this list of state names.
const PARSER_STATES = ['_parseHeader', '_parseLength', '_parsePayload', '_newPacket'];
// After CONNECT, mqtt-packet keeps the whole CONNECT packet (credentials included) as its
// settings, and reads only protocolVersion and bridgeMode from it again.
const SETTINGS_BY_VERSION = new Map<number, Readonly<{ protocolVersion: number }>>(
  [3, 4, 5].map((v) => [v, Object.freeze({ protocolVersion: v })]),
);

function report(target: GuardTarget, kind: Violation): void {
  if (target.guardFailed) return;
  target.guardFailed = true;
  target.violation(kind);
}

type GuardedMethods = Pick<GuardedParser, 'parse' | '_parseLength' | '_parseString' | '_parseMessageId' | 'emit'>;

/**
 * The guarded methods, made once per (parser class, limits) and set on each parser as own
 * properties: guarding a connection allocates no closures. (Not Object.setPrototypeOf: V8
 * then gives every parser its own hidden class, ~0.5 KB each, once aedes changes a field.)
 */
function guardedMethods(base: ParserInternals, limits: GuardLimits): GuardedMethods {
  const maxPacket = maxPacketBytes(limits);
  const preConnectMax = Math.min(maxPacket, limits.preConnectMaxBytes);
  const fail = (parser: GuardedParser, kind: Violation, message: string): void => {
    report(parser._guard, kind);
    parser._emitError(new Error(message));
  };
  const methods = {} as GuardedMethods;

  methods.parse = function guardedParse(this: GuardedParser, buf: Buffer): number {
    const target = this._guard;
    if (target.guardFailed) return 0;
    if (!target.connected()) {
      target.preConnectBytes += buf.length;
      if (target.preConnectBytes > limits.preConnectMaxBytes) {
        report(target, 'pre-connect-bytes');
        target.destroy();
        return 0;
      }
    }
    return base.parse.call(this, buf);
  };

  methods._parseLength = function guardedLength(this: GuardedParser): boolean {
    if (!base._parseLength.call(this)) return false;
    const cap = this._guard.connected() ? maxPacket : preConnectMax;
    if (this.packet.length > cap) {
      fail(this, 'oversize', `packet of ${this.packet.length} bytes exceeds ${cap}`);
      return false;
    }
    return true;
  };

  methods._parseString = function guardedString(this: GuardedParser): string | null {
    const start = this._pos + 2;
    const text = base._parseString.call(this);
    if (text === null) return null;
    // Only a string with U+FFFD or U+0000 needs its raw bytes looked at.
    if (text.indexOf('\uFFFD') === -1 && text.indexOf('\u0000') === -1) return text;
    const problem = mqttStringProblem(this._list.slice(start, this._pos), text);
    if (problem === null) return text;
    // mqtt-packet turns the null into "Cannot parse ..." and emits 'error' itself.
    report(this._guard, problem);
    return null;
  };

  methods._parseMessageId = function guardedMessageId(this: GuardedParser): boolean {
    if (!base._parseMessageId.call(this)) return false;
    if (this.packet.messageId === 0 && NEEDS_ID.has(this.packet.cmd ?? '')) {
      fail(this, 'packet-id-zero', 'packet identifier 0 [MQTT-2.3.1-1]');
      return false;
    }
    return true;
  };

  // 'packet' and 'error' are looked at before any listener runs, without listeners of our own.
  methods.emit = function guardedEmit(this: GuardedParser, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'packet') checkPacket(this, args[0] as ParsedPacket, limits, fail);
    else if (event === 'error') report(this._guard, 'malformed');
    return base.emit.call(this, event, ...args);
  };
  return methods;
}

function checkPacket(
  parser: GuardedParser,
  packet: ParsedPacket,
  limits: GuardLimits,
  fail: (parser: GuardedParser, kind: Violation, message: string) => void,
): void {
  const target = parser._guard;
  if (target.guardFailed) {
    packet.cmd = 'refused'; // aedes closes on an unknown command instead of handling it
    return;
  }
  let problem: Violation | null = null;
  if (packet.cmd === 'publish') {
    if (packet.payload !== undefined && packet.payload.length > limits.maxPayloadBytes) problem = 'oversize';
  } else if (packet.cmd === 'connect') {
    if (packet.will !== undefined) {
      if (validateTopicName(packet.will.topic, limits.maxTopicLength) !== null) problem = 'invalid-will-topic';
      else if (packet.will.payload.length > limits.maxPayloadBytes) problem = 'oversize';
    }
    const settings = packet.bridgeMode === true ? undefined : SETTINGS_BY_VERSION.get(packet.protocolVersion ?? 4);
    if (settings !== undefined) parser.settings = settings;
  }
  if (problem !== null) {
    fail(parser, problem, `refused ${packet.cmd}: ${problem}`);
    packet.cmd = 'refused';
    return;
  }
  target.packet?.(packet);
}

const methodSets = new WeakMap<GuardLimits, { base: object; methods: GuardedMethods }>();

/**
 * Guards one connection's parser (see the top of this file) and slims it: the shared state
 * list, a ChunkList instead of bl's stream, and no CONNECT packet kept as settings.
 */
export function installPacketGuards(parser: ParserInternals, limits: GuardLimits, target: GuardTarget): void {
  const base = Object.getPrototypeOf(parser) as ParserInternals;
  let entry = methodSets.get(limits);
  if (entry === undefined || entry.base !== base) {
    entry = { base, methods: guardedMethods(base, limits) };
    methodSets.set(limits, entry);
  }
  const { methods } = entry;
  const guarded = parser as GuardedParser;
  guarded._guard = target;
  guarded._states = PARSER_STATES;
  if (guarded._list.length === 0) guarded._list = new ChunkList();
  guarded.parse = methods.parse;
  guarded._parseLength = methods._parseLength;
  guarded._parseString = methods._parseString;
  guarded._parseMessageId = methods._parseMessageId;
  guarded.emit = methods.emit;
}
