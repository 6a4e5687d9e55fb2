import { isUtf8 } from 'node:buffer';
import { validateTopicName } from '#domain';
import { ChunkList } from './chunk-list.js';

/**
 * Checks mqtt-packet 9 does not make (docs/DESIGN.md "Malformed packets: closed, never answered"), installed on each
 * connection's parser instance:
 * - strings: mqtt-packet decodes with Buffer.toString('utf8'), which turns ill-formed bytes
 *   into U+FFFD and keeps U+0000. A decoded string without U+FFFD came from well-formed
 *   UTF-8 (V8 replaces every ill-formed sequence, surrogates and overlongs included), so
 *   only strings containing U+FFFD have their raw bytes re-checked with isUtf8(): a real
 *   U+FFFD sent by the client stays legal [MQTT-1.5.3-1]. U+0000 is refused [MQTT-1.5.3-2].
 * - packet identifier 0 on PUBLISH QoS>0, SUBSCRIBE and UNSUBSCRIBE [MQTT-2.3.1-1].
 * - CONNECT fields mqtt-packet and aedes accept: will QoS 3 [MQTT-3.1.2-14], a password
 *   without a user name [MQTT-3.1.2-22], a protocol name that does not match the level
 *   (`MQIsdp` is level 3, `MQTT` level 4) [MQTT-3.1.2-1]. Such a CONNECT gets no CONNACK.
 * - SUBSCRIBE or UNSUBSCRIBE without a topic filter [MQTT-3.8.3-3, MQTT-3.10.3-2], DUP on a
 *   QoS 0 PUBLISH [MQTT-3.3.1-2].
 * - lengths: mqtt-packet reads packet identifiers past the packet's remaining length (into
 *   the next packet's bytes, or as -1 when none are buffered) and ignores bytes left over
 *   after the last field; all are refused.
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
  | 'will-oversize'
  | 'will-qos'
  | 'password-without-username'
  | 'protocol-name-mismatch'
  | 'no-topic-filter'
  | 'dup-on-qos0'
  | 'length-mismatch'
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
  dup?: boolean;
  length?: number;
  payload?: Buffer;
  topic?: string;
  protocolId?: string;
  protocolVersion?: number;
  bridgeMode?: boolean;
  will?: { topic: string; payload: Buffer; qos: number };
  username?: string;
  password?: Buffer;
  subscriptions?: unknown[];
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
  /**
   * The parser, or aedes code it called synchronously (packet handlers, hooks), threw: the
   * connection must be closed and the error reported, and the process must go on.
   */
  crashed(err: unknown): void;
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
// A bridge's CONNECT (level | 0x80) also needs `bridgeMode` kept: SUBSCRIBE options depend on it.
const BRIDGE_SETTINGS_BY_VERSION = new Map<number, Readonly<{ protocolVersion: number; bridgeMode: true }>>(
  [3, 4, 5].map((v) => [v, Object.freeze({ protocolVersion: v, bridgeMode: true as const })]),
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
 * then gives every parser its own hidden class once aedes changes a field.)
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
    try {
      return base.parse.call(this, buf);
    } catch (err) {
      // The engine boundary for everything aedes does with these bytes (docs/DESIGN.md "One connection's exception ends that connection only"):
      // one connection's exception ends that connection, not the process.
      target.guardFailed = true;
      target.crashed(err);
      return 0;
    }
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
    // mqtt-packet's _parseNum answers -1 when fewer than 2 bytes are buffered, which its
    // null check misses: the packet had no identifier at all.
    if (this.packet.messageId === -1) {
      fail(this, 'length-mismatch', 'packet identifier missing');
      return false;
    }
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
  const problem = lengthProblem(parser, packet) ?? contentProblem(packet, limits);
  if (packet.cmd === 'connect') {
    const settings = (packet.bridgeMode === true ? BRIDGE_SETTINGS_BY_VERSION : SETTINGS_BY_VERSION).get(packet.protocolVersion ?? 4);
    if (settings !== undefined) parser.settings = settings;
  }
  if (problem !== null) {
    fail(parser, problem, `refused ${packet.cmd}: ${problem}`);
    packet.cmd = 'refused';
    return;
  }
  target.packet?.(packet);
}

/** What is wrong with the fields of a packet mqtt-packet parsed, or null. */
function contentProblem(packet: ParsedPacket, limits: GuardLimits): Violation | null {
  switch (packet.cmd) {
    case 'publish':
      if (packet.payload !== undefined && packet.payload.length > limits.maxPayloadBytes) return 'oversize';
      return packet.dup === true && packet.qos === 0 ? 'dup-on-qos0' : null;
    case 'connect':
      return connectProblem(packet, limits);
    case 'subscribe':
      return packet.subscriptions !== undefined && packet.subscriptions.length === 0 ? 'no-topic-filter' : null;
    case 'unsubscribe':
      return packet.unsubscriptions !== undefined && packet.unsubscriptions.length === 0 ? 'no-topic-filter' : null;
    default:
      return null;
  }
}

/** What is wrong with a CONNECT that mqtt-packet parsed, or null. */
function connectProblem(packet: ParsedPacket, limits: GuardLimits): Violation | null {
  const will = packet.will;
  if (will !== undefined) {
    if (will.qos > 2) return 'will-qos';
    if (validateTopicName(will.topic, limits.maxTopicLength) !== null) return 'invalid-will-topic';
    if (will.payload.length > limits.maxPayloadBytes) return 'will-oversize';
  }
  if (packet.password !== undefined && packet.username === undefined) return 'password-without-username';
  const level = packet.protocolVersion;
  if (packet.protocolId === 'MQIsdp' ? level !== 3 : level === 3) return 'protocol-name-mismatch';
  return null;
}

/**
 * Compares where parsing stopped (`_pos`, still set when 'packet' is emitted) with the
 * remaining length: past it, a field was read from the next packet's bytes; short of it,
 * bytes were left over. A PUBLISH's payload is the rest, so only overrunning counts there;
 * MQTT 5 acknowledgements may carry a reason code and properties.
 */
function lengthProblem(parser: GuardedParser, packet: ParsedPacket): Violation | null {
  const length = packet.length ?? 0;
  const pos = parser._pos;
  switch (packet.cmd) {
    case 'publish':
      return pos > length ? 'length-mismatch' : null;
    case 'connect':
    case 'subscribe':
    case 'unsubscribe':
      return pos !== length ? 'length-mismatch' : null;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return length < 2 || (length !== 2 && parser.settings.protocolVersion !== 5) ? 'length-mismatch' : null;
    case 'pingreq':
    case 'disconnect':
      return length !== 0 && parser.settings.protocolVersion !== 5 ? 'length-mismatch' : null;
    default:
      return null;
  }
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
