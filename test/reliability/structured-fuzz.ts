// Structured fuzzing of MQTT 3.1.1 packets: every packet type is built field by field by a small
// encoder of its own (mqtt-packet refuses to encode most of these), and one field at a time (or,
// in the long run, several) is replaced by values that break it: header flags, QoS, packet
// identifiers, lengths and length prefixes, strings (empty, wildcards, '$', U+0000, ill-formed
// UTF-8, too long), filter options, truncation. Each case runs over its own TCP socket and ends
// with a clean (DISCONNECT) or an abrupt (socket destroyed) close, since the will path runs
// only on the abrupt one.
import { connect as netConnect } from 'node:net';
import { remainingLength } from '../helpers/mqtt.js';

export type CloseKind = 'clean' | 'abrupt';

export interface FuzzCase {
  /** Packet type, field and value, e.g. "connect.flags=0x1e". */
  readonly name: string;
  /** Send a valid CONNECT (with a will) first and wait for its CONNACK. */
  readonly connectFirst: boolean;
  readonly bytes: Buffer;
}

export type Outcome = 'closed-by-server' | 'answered' | 'silent' | 'connect-refused';

// ------------------------------------------------------------------ encoding

const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

/** An MQTT string or binary field; `lengthDelta` makes its length prefix lie. */
function field(value: Buffer, lengthDelta = 0): Buffer {
  return Buffer.concat([u16(Math.max(0, Math.min(0xffff, value.length + lengthDelta))), value]);
}

interface Framing {
  /** Added to the true remaining length. */
  lengthDelta?: number;
  /** Replaces the remaining-length bytes altogether (non-minimal or over-long encodings). */
  lengthBytes?: Buffer;
  /** Cut the whole packet to this many bytes. */
  truncate?: number;
}

function frame(type: number, flags: number, body: Buffer, f: Framing): Buffer {
  const length = f.lengthBytes ?? remainingLength(Math.max(0, body.length + (f.lengthDelta ?? 0)));
  const whole = Buffer.concat([Buffer.from([(type << 4) | (flags & 0x0f)]), length, body]);
  return f.truncate === undefined ? whole : whole.subarray(0, Math.min(f.truncate, whole.length));
}

interface ConnectSpec extends Framing {
  headerFlags: number;
  name: Buffer;
  level: number;
  flags: number;
  keepalive: number;
  clientId: Buffer;
  clientIdLengthDelta: number;
  willTopic?: Buffer;
  willPayload?: Buffer;
  username?: Buffer;
  password?: Buffer;
}

function connect(s: ConnectSpec): Buffer {
  const parts = [field(s.name), Buffer.from([s.level & 0xff, s.flags & 0xff]), u16(s.keepalive), field(s.clientId, s.clientIdLengthDelta)];
  if (s.willTopic !== undefined) parts.push(field(s.willTopic));
  if (s.willPayload !== undefined) parts.push(field(s.willPayload));
  if (s.username !== undefined) parts.push(field(s.username));
  if (s.password !== undefined) parts.push(field(s.password));
  return frame(1, s.headerFlags, Buffer.concat(parts), s);
}

interface PublishSpec extends Framing {
  headerFlags: number;
  topic: Buffer;
  topicLengthDelta: number;
  packetId?: number;
  payload: Buffer;
}

function publish(s: PublishSpec): Buffer {
  const parts = [field(s.topic, s.topicLengthDelta)];
  if (s.packetId !== undefined) parts.push(u16(s.packetId));
  parts.push(s.payload);
  return frame(3, s.headerFlags, Buffer.concat(parts), s);
}

interface SubscribeSpec extends Framing {
  headerFlags: number;
  packetId?: number;
  filters: Array<{ topic: Buffer; options: number }>;
}

function subscribe(s: SubscribeSpec): Buffer {
  const parts = s.packetId === undefined ? [] : [u16(s.packetId)];
  for (const f of s.filters) parts.push(field(f.topic), Buffer.from([f.options & 0xff]));
  return frame(8, s.headerFlags, Buffer.concat(parts), s);
}

interface UnsubscribeSpec extends Framing {
  headerFlags: number;
  packetId?: number;
  filters: Buffer[];
}

function unsubscribe(s: UnsubscribeSpec): Buffer {
  const parts = s.packetId === undefined ? [] : [u16(s.packetId)];
  for (const f of s.filters) parts.push(field(f));
  return frame(10, s.headerFlags, Buffer.concat(parts), s);
}

interface SimpleSpec extends Framing {
  headerFlags: number;
  body: Buffer;
}

// ------------------------------------------------------------------ values

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const INVALID_UTF8 = Buffer.from([0x61, 0xff, 0x62]);
const SURROGATE = Buffer.from([0x61, 0xed, 0xa0, 0x80]);
const OVERLONG_NUL = Buffer.from([0xc0, 0x80]);

const TOPIC_NAMES: Buffer[] = [
  text(''), text('#'), text('a/+'), text('a/#'), text('+'), text('/'), text('$SYS/x'), text('$fleetmq/p2p-delivered'),
  text('a\u0000b'), INVALID_UTF8, SURROGATE, OVERLONG_NUL, text('a\uFFFDb'), text('x'.repeat(200)), text('a/'.repeat(200)),
  text('fuzz/p2p/someone'), text('fuzz/ok'),
];
const TOPIC_FILTERS: Buffer[] = [...TOPIC_NAMES, text('a/#/b'), text('a+'), text('#/a'), text('$SYS/#'), text('+/+/#')];
const PACKET_IDS: Array<number | undefined> = [0, 1, 65535, undefined];
const LENGTH_DELTAS = [-3, -1, 1, 2, 50];
const LENGTH_BYTES: Buffer[] = [
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), // five bytes: no such length
  Buffer.from([0xff, 0xff, 0xff, 0x7f]), // ~256 MB
  Buffer.from([0x80, 0x80, 0x80, 0x00]), // non-minimal zero
];
const TRUNCATIONS = [1, 2, 5, 12];
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => i);
const ALL_NIBBLES = Array.from({ length: 16 }, (_, i) => i);

/** In the short run, a byte-wide field takes every `stride`-th value plus the ones known to matter. */
function bytes(long: boolean, notable: number[]): number[] {
  if (long) return ALL_BYTES;
  return [...new Set([...ALL_BYTES.filter((b) => b % 17 === 0), ...notable])];
}

type Mutations<S> = { [K in keyof S]?: ReadonlyArray<S[K]> };

/** One packet type: its valid base and, per field, the values that break it. */
export interface PacketGenerator {
  readonly kind: string;
  readonly connectFirst: boolean;
  readonly fields: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]>;
  make(overrides: Record<string, unknown>): Buffer;
}

function generator<S extends object>(kind: string, base: S, mutations: Mutations<S>, build: (s: S) => Buffer, connectFirst: boolean): PacketGenerator {
  return {
    kind,
    connectFirst,
    fields: Object.entries(mutations) as Array<[string, ReadonlyArray<unknown>]>,
    make: (overrides) => build({ ...base, ...overrides } as S),
  };
}

/** Each field of the packet replaced by each of its values, the others left valid. */
function singleFieldCases(g: PacketGenerator): FuzzCase[] {
  return g.fields.flatMap(([key, values]) => values.map((value) => ({ name: `${g.kind}.${key}=${show(value)}`, connectFirst: g.connectFirst, bytes: g.make({ [key]: value }) })));
}

function show(value: unknown): string {
  if (value === undefined) return 'absent';
  if (Buffer.isBuffer(value)) return value.length > 24 ? `<${value.length} bytes>` : `"${value.toString('latin1')}"`;
  if (typeof value === 'number') return `0x${value.toString(16)}`;
  if (Array.isArray(value)) return `[${value.length}]`;
  return String(value);
}

let serial = 0;

export function validConnect(clientId = `fz-${process.pid}-${serial++}`): Buffer {
  return connect(connectBase(clientId));
}

function connectBase(clientId: string): ConnectSpec {
  // Clean session, will flag, will QoS 1: an abrupt close publishes the will.
  return { headerFlags: 0, name: text('MQTT'), level: 4, flags: 0x0e, keepalive: 30, clientId: text(clientId), clientIdLengthDelta: 0, willTopic: text('fuzz/will'), willPayload: text('bye') };
}

const framingMutations = {
  lengthDelta: LENGTH_DELTAS,
  lengthBytes: LENGTH_BYTES,
  truncate: TRUNCATIONS,
};

export interface StructuredFuzz {
  /** Every field of every packet type, one at a time. */
  readonly cases: FuzzCase[];
  readonly generators: PacketGenerator[];
}

/** Every field of every packet type, one at a time (see the file comment). */
export function structuredCases(long: boolean): StructuredFuzz {
  const cases: FuzzCase[] = [];
  const generators: PacketGenerator[] = [];
  const add = (g: PacketGenerator): void => {
    generators.push(g);
    cases.push(...singleFieldCases(g));
  };
  const cid = `fz-${process.pid}-${serial++}`;
  add(
    generator<ConnectSpec>(
      'connect',
      connectBase(cid),
      {
        headerFlags: ALL_NIBBLES,
        name: [text(''), text('MQIsdp'), text('MQTX'), text('mqtt'), INVALID_UTF8, text('M'.repeat(300))],
        level: [0, 1, 2, 3, 5, 6, 0x83, 0x84, 0xff],
        // 0x1e: will QoS 3 (issue 9); 0x0a/0x22: will QoS/retain without the will; 0x42: password without user name; odd: reserved bit.
        flags: bytes(long, [0x00, 0x01, 0x02, 0x06, 0x0a, 0x0e, 0x16, 0x1e, 0x22, 0x26, 0x2e, 0x3e, 0x42, 0x82, 0xc2, 0xce, 0xfe, 0xff]),
        keepalive: [0, 1, 65535],
        clientId: [text(''), text('x'.repeat(23)), text('x'.repeat(24)), text('x'.repeat(64)), text('x'.repeat(65)), text('x'.repeat(1000)), INVALID_UTF8, text('a\u0000b'), text('+'), text('#'), text('a/b'), text('GID_x@@@y')],
        clientIdLengthDelta: [-1, 1, 40, 65535],
        willTopic: [undefined, ...TOPIC_NAMES],
        willPayload: [undefined, Buffer.alloc(0), Buffer.alloc(1025), Buffer.alloc(70_000)],
        username: [text(''), text('u'), text('Signature|x|y'), INVALID_UTF8],
        password: [Buffer.alloc(0), text('p')],
        ...framingMutations,
      },
      connect,
      false,
    ),
  );
  // The CONNECT flags against user name and password actually present.
  for (const flags of [0x42, 0x82, 0xc2, 0x4e, 0x8e, 0xce]) {
    for (const [username, password] of [[text('u'), undefined], [undefined, text('p')], [text('u'), text('p')]] as const) {
      cases.push({ name: `connect.flags=0x${flags.toString(16)}+credentials`, connectFirst: false, bytes: connect({ ...connectBase(`fz-${serial++}`), flags, username, password }) });
    }
  }
  add(
    generator<PublishSpec>(
      'publish',
      { headerFlags: 0x02, topic: text('fuzz/t'), topicLengthDelta: 0, packetId: 1, payload: text('p') },
      {
        headerFlags: ALL_NIBBLES,
        topic: TOPIC_NAMES,
        topicLengthDelta: [-1, 1, 100, 65535],
        packetId: PACKET_IDS,
        payload: [Buffer.alloc(0), Buffer.alloc(1024), Buffer.alloc(1025), Buffer.alloc(70_000)],
        ...framingMutations,
      },
      publish,
      true,
    ),
  );
  // QoS 0 with a packet identifier: the two bytes are payload then, which is legal.
  add(generator<PublishSpec>('publish-qos0', { headerFlags: 0x00, topic: text('fuzz/t0'), topicLengthDelta: 0, packetId: undefined, payload: text('p') }, { packetId: [0, 1], headerFlags: [0x08, 0x09, 0x01] }, publish, true));
  add(
    generator<SubscribeSpec>(
      'subscribe',
      { headerFlags: 0x02, packetId: 1, filters: [{ topic: text('fuzz/#'), options: 1 }] },
      {
        headerFlags: ALL_NIBBLES,
        packetId: PACKET_IDS,
        filters: [
          [],
          ...TOPIC_FILTERS.map((topic) => [{ topic, options: 1 }]),
          ...bytes(long, [0, 1, 2, 3, 4, 0x80, 0xff]).map((options) => [{ topic: text('fuzz/#'), options }]),
          Array.from({ length: 30 }, (_, i) => ({ topic: text(`fuzz/${i}/#`), options: i % 3 })),
        ],
        ...framingMutations,
      },
      subscribe,
      true,
    ),
  );
  add(
    generator<UnsubscribeSpec>(
      'unsubscribe',
      { headerFlags: 0x02, packetId: 1, filters: [text('fuzz/#')] },
      { headerFlags: ALL_NIBBLES, packetId: PACKET_IDS, filters: [[], ...TOPIC_FILTERS.map((t) => [t]), Array.from({ length: 30 }, (_, i) => text(`u/${i}`))], ...framingMutations },
      unsubscribe,
      true,
    ),
  );
  // Acknowledgements (PUBREL's flags must be 2), PINGREQ, DISCONNECT, and the packets only a server sends.
  const simple: Array<[string, number, number, Buffer]> = [
    ['puback', 4, 0, u16(1)],
    ['pubrec', 5, 0, u16(1)],
    ['pubrel', 6, 2, u16(1)],
    ['pubcomp', 7, 0, u16(1)],
    ['pingreq', 12, 0, Buffer.alloc(0)],
    ['disconnect', 14, 0, Buffer.alloc(0)],
    ['reserved-0', 0, 0, Buffer.alloc(0)],
    ['connack', 2, 0, Buffer.from([0, 0])],
    ['suback', 9, 0, Buffer.from([0, 1, 0])],
    ['unsuback', 11, 0, u16(1)],
    ['pingresp', 13, 0, Buffer.alloc(0)],
    ['auth', 15, 0, Buffer.from([0])],
  ];
  for (const [name, type, flags, body] of simple) {
    add(
      generator<SimpleSpec>(
        name,
        { headerFlags: flags, body },
        { headerFlags: ALL_NIBBLES, body: [Buffer.alloc(0), Buffer.from([0]), u16(0), u16(65535), Buffer.from([0, 1, 0]), Buffer.from([0, 1, 0, 0])], ...framingMutations },
        (s) => frame(type, s.headerFlags, s.body, s),
        true,
      ),
    );
  }
  cases.push({ name: 'connect.second', connectFirst: true, bytes: validConnect() });
  return { cases, generators };
}

/** One packet with 2 to 4 of its fields broken at once, picked by `rnd` (the long run). */
export function multiFieldCase(rnd: () => number, generators: PacketGenerator[]): FuzzCase {
  const pick = <T>(list: ReadonlyArray<T>): T => list[Math.floor(rnd() * list.length)]!;
  const g = pick(generators);
  const overrides: Record<string, unknown> = {};
  const count = Math.min(g.fields.length, 2 + Math.floor(rnd() * 3));
  while (Object.keys(overrides).length < count) {
    const [key, values] = pick(g.fields);
    overrides[key] ??= pick(values);
  }
  const name = `${g.kind}{${Object.entries(overrides).map(([k, v]) => `${k}=${show(v)}`).join(', ')}}`;
  return { name, connectFirst: g.connectFirst, bytes: g.make(overrides) };
}

// ------------------------------------------------------------------ running

const DISCONNECT = Buffer.from([0xe0, 0x00]);
const PINGREQ = Buffer.from([0xc0, 0x00]);

/**
 * Runs one case over a fresh socket: the valid CONNECT first if the case wants it (waiting for
 * CONNACK), then the case's bytes and a PINGREQ; waits until the server answers or closes (at
 * most `waitMs`), then closes as `close` says.
 */
export function runCase(port: number, c: FuzzCase, close: CloseKind, waitMs = 400): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    let phase: 'connecting' | 'sent' = c.connectFirst ? 'connecting' : 'sent';
    let answered = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome === 'closed-by-server' || socket.destroyed) {
        socket.destroy();
      } else if (close === 'clean') {
        socket.end(DISCONNECT);
        setTimeout(() => socket.destroy(), 200).unref();
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const send = (): void => {
      phase = 'sent';
      socket.write(c.bytes);
      socket.write(PINGREQ);
      timer = setTimeout(() => finish(answered ? 'answered' : 'silent'), waitMs);
    };
    socket.on('error', () => {});
    socket.on('close', () => finish('closed-by-server'));
    socket.on('data', (d: Buffer) => {
      if (phase === 'connecting') {
        received = Buffer.concat([received, d]);
        if (received.length < 4) return;
        if (received[0] !== 0x20 || received[3] !== 0) return finish('connect-refused');
        received = received.subarray(4);
        send();
        return;
      }
      answered = true;
      // PINGRESP: everything sent before it was handled.
      if (d.includes(0xd0)) finish('answered');
    });
    socket.once('connect', () => {
      if (c.connectFirst) socket.write(validConnect());
      else send();
    });
  });
}
