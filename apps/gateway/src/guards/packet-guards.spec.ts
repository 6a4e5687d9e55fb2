import mqttPacket from 'mqtt-packet';
import { installPacketGuards, maxPacketBytes, mqttStringProblem, type ParserInternals, type Violation } from './packet-guards.js';

const limits = { maxPayloadBytes: 100, maxTopicLength: 16, preConnectMaxBytes: 200 };

function guardedParser(connected = true) {
  const parser = mqttPacket.parser() as unknown as ParserInternals & { on(e: string, l: (x: unknown) => void): void };
  const violations: Violation[] = [];
  const packets: Array<{ cmd: string }> = [];
  const errors: string[] = [];
  let destroyed = false;
  const crashes: unknown[] = [];
  installPacketGuards(parser, limits, {
    preConnectBytes: 0,
    guardFailed: false,
    connected: () => connected,
    violation: (v) => violations.push(v),
    destroy: () => (destroyed = true),
    crashed: (err) => crashes.push(err),
  });
  parser.on('packet', (p) => packets.push(p as { cmd: string }));
  parser.on('error', (e) => errors.push((e as Error).message));
  return { parser, violations, packets, errors, crashes, destroyed: () => destroyed };
}

function publish(topic: Buffer, payload: Buffer, qos = 0, id = 1): Buffer {
  const idBytes = qos > 0 ? Buffer.from([id >> 8, id & 255]) : Buffer.alloc(0);
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, idBytes, payload]);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1), body.length]), body]);
}

describe('mqttStringProblem', () => {
  it.each([
    ['plain ASCII', 'abc', null],
    ['a real U+FFFD', 'a\uFFFD', null],
    ['4-byte UTF-8', 'a\u{1F600}', null],
  ])('accepts %s', (_name, text, expected) => {
    expect(mqttStringProblem(Buffer.from(text, 'utf8'), text)).toBe(expected);
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a truncated sequence', [0x61, 0xe2, 0x82]],
  ])('refuses %s', (_name, bytes) => {
    const raw = Buffer.from(bytes);
    expect(mqttStringProblem(raw, raw.toString('utf8'))).toBe('invalid-utf8');
  });

  it('refuses U+0000', () => {
    expect(mqttStringProblem(Buffer.from([0x61, 0]), 'a\u0000')).toBe('null-character');
  });
});

describe('installPacketGuards', () => {
  it('passes well-formed packets through', () => {
    const g = guardedParser();
    g.parser.parse(publish(Buffer.from('t/a'), Buffer.from('hi'), 1, 5));
    expect(g.packets.map((p) => p.cmd)).toEqual(['publish']);
    expect(g.violations).toEqual([]);
  });

  it('refuses packet identifier 0 on QoS 1', () => {
    const g = guardedParser();
    g.parser.parse(publish(Buffer.from('t/a'), Buffer.from('hi'), 1, 0));
    expect(g.packets).toEqual([]);
    expect(g.violations).toEqual(['packet-id-zero']);
  });

  it('refuses an oversize payload and an oversize remaining length before its body', () => {
    const g = guardedParser();
    g.parser.parse(publish(Buffer.from('t'), Buffer.alloc(101)));
    expect(g.violations).toEqual(['oversize']);
    const h = guardedParser();
    h.parser.parse(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    expect(h.violations).toEqual(['oversize']);
    expect(maxPacketBytes(limits)).toBeLessThan(0x0fffffff);
  });

  it('refuses a topic with ill-formed UTF-8 and stops parsing the chunk', () => {
    const g = guardedParser();
    g.parser.parse(Buffer.concat([publish(Buffer.from([0x61, 0xff]), Buffer.from('x')), publish(Buffer.from('ok'), Buffer.from('y'))]));
    expect(g.packets).toEqual([]);
    expect(g.violations).toEqual(['invalid-utf8']);
    expect(g.errors.length).toBeGreaterThan(0);
  });

  it('caps the bytes before CONNACK', () => {
    const g = guardedParser(false);
    g.parser.parse(Buffer.alloc(150, 0xc0).subarray(0, 1)); // partial header only
    g.parser.parse(Buffer.alloc(201));
    expect(g.violations).toEqual(['pre-connect-bytes']);
    expect(g.destroyed()).toBe(true);
  });

  it('refuses a CONNECT whose will topic is not a valid topic name', () => {
    const g = guardedParser(false);
    g.parser.parse(
      mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 10, clientId: 'c',
        will: { topic: 'a/#', payload: Buffer.from('w'), qos: 0, retain: false },
      } as mqttPacket.IConnectPacket),
    );
    expect(g.violations).toEqual(['invalid-will-topic']);
  });

  it('parses packets split across reads and several packets in one read', () => {
    const g = guardedParser();
    const a = publish(Buffer.from('t/\u00e9'), Buffer.from('payload-a'), 1, 7);
    const b = publish(Buffer.from('t/b'), Buffer.from('payload-b'), 0);
    const both = Buffer.concat([a, b, a]);
    for (let i = 0; i < both.length; i += 3) g.parser.parse(both.subarray(i, i + 3));
    g.parser.parse(Buffer.concat([b, a]));
    expect(g.packets.map((p) => (p as { topic?: string }).topic)).toEqual(['t/\u00e9', 't/b', 't/\u00e9', 't/b', 't/\u00e9']);
    expect(g.packets.map((p) => String((p as { payload?: Buffer }).payload))).toEqual(['payload-a', 'payload-b', 'payload-a', 'payload-b', 'payload-a']);
    expect(g.violations).toEqual([]);
  });

  it('reports a malformed packet the parser itself refuses', () => {
    const g = guardedParser();
    g.parser.parse(Buffer.from([0x60, 0x02, 0x00, 0x01])); // PUBREL must have flags 0b0010
    expect(g.violations).toEqual(['malformed']);
    expect(g.errors.length).toBe(1);
  });

  it('keeps only the protocol version of CONNECT, not the packet with its credentials', () => {
    const g = guardedParser(false);
    g.parser.parse(
      mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 10, clientId: 'c',
        username: 'u', password: Buffer.from('secret'),
      } as mqttPacket.IConnectPacket),
    );
    expect(g.packets.map((p) => p.cmd)).toEqual(['connect']);
    expect(g.parser.settings).toEqual({ protocolVersion: 4 });
  });

  // CONNECT: protocol name "MQTT", level 4, the given flags, keep-alive 10, client ID "c", then `rest`.
  const connectWith = (flags: number, rest: number[] = [], name = 'MQTT', level = 4): Buffer => {
    const body = Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([level, flags, 0, 10, 0, 1, 0x63]), Buffer.from(rest)]);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]);
  };
  const willFields = [0, 1, 0x77, 0, 1, 0x78]; // will topic "w", payload "x"

  it.each<[string, Buffer, string]>([
    ['will QoS 3', connectWith(0x1e, willFields), 'will-qos'],
    ['a password without a user name', connectWith(0x42, [0, 1, 0x70]), 'password-without-username'],
    ['MQIsdp at level 4', connectWith(0x02, [], 'MQIsdp', 4), 'protocol-name-mismatch'],
    ['MQTT at level 3', connectWith(0x02, [], 'MQTT', 3), 'protocol-name-mismatch'],
    ['bytes after the last field', connectWith(0x02, [0]), 'length-mismatch'],
    ['a will payload over the limit', connectWith(0x06, [0, 1, 0x77, 0, 101, ...Buffer.alloc(101)]), 'will-oversize'],
  ])('refuses a CONNECT with %s', (_name, bytes, violation) => {
    const g = guardedParser(false);
    g.parser.parse(bytes);
    expect(g.violations).toEqual([violation]);
    // Refused packets reach aedes as cmd 'refused', which it closes on.
    expect(g.packets.filter((p) => p.cmd !== 'refused')).toEqual([]);
  });

  it('accepts MQTT 3.1 (MQIsdp, level 3) and a will QoS 2', () => {
    const g = guardedParser(false);
    g.parser.parse(connectWith(0x02, [], 'MQIsdp', 3));
    expect(g.violations).toEqual([]);
    const h = guardedParser(false);
    h.parser.parse(connectWith(0x16, willFields));
    expect(h.violations).toEqual([]);
    expect(h.packets.map((p) => p.cmd)).toEqual(['connect']);
  });

  it.each<[string, number[], string]>([
    ['SUBSCRIBE without a filter', [0x82, 0x02, 0x00, 0x01], 'no-topic-filter'],
    ['UNSUBSCRIBE without a filter', [0xa2, 0x02, 0x00, 0x01], 'no-topic-filter'],
    ['QoS 0 PUBLISH with DUP', [0x38, 0x04, 0x00, 0x01, 0x74, 0x70], 'dup-on-qos0'],
    ['PUBACK of 3 bytes', [0x40, 0x03, 0x00, 0x01, 0x00], 'length-mismatch'],
    ['PUBREL of 1 byte', [0x62, 0x01, 0x00], 'length-mismatch'],
    ['DISCONNECT with a byte', [0xe0, 0x01, 0x00], 'length-mismatch'],
    ['QoS 1 PUBLISH whose packet identifier is in the next packet', [0x32, 0x03, 0x00, 0x01, 0x74, 0xc0, 0x00], 'length-mismatch'],
    ['QoS 1 PUBLISH without a packet identifier', [0x32, 0x03, 0x00, 0x01, 0x74], 'length-mismatch'],
  ])('refuses %s', (_name, bytes, violation) => {
    const g = guardedParser();
    g.parser.parse(Buffer.from(bytes));
    expect(g.violations).toEqual([violation]);
    expect(g.packets.filter((p) => p.cmd !== 'refused')).toEqual([]);
  });

  it('closes the connection, not the process, when the parser or what it calls throws', () => {
    const g = guardedParser();
    const throwing = g.parser as unknown as { on(e: string, l: () => void): void };
    throwing.on('packet', () => {
      throw new Error('handler bug');
    });
    expect(() => g.parser.parse(publish(Buffer.from('t'), Buffer.from('x')))).not.toThrow();
    expect(g.crashes.map((e) => (e as Error).message)).toEqual(['handler bug']);
    // Nothing more is read from that connection.
    g.parser.parse(publish(Buffer.from('t'), Buffer.from('y')));
    expect(g.packets).toHaveLength(1);
  });

  it('keeps only version and bridge mode of a bridge CONNECT (level | 0x80), not its credentials', () => {
    const g = guardedParser(false);
    g.parser.parse(connectWith(0xc2, [0, 1, 0x75, 0, 6, ...Buffer.from('secret')], 'MQTT', 0x84));
    expect(g.packets.map((p) => p.cmd)).toEqual(['connect']);
    expect(g.parser.settings).toEqual({ protocolVersion: 4, bridgeMode: true });
  });
});
