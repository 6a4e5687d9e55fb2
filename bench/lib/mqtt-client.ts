import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { isSourcePortTaken, SourcePorts } from './source-ports.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across local processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Every benchmark payload starts with this header so receivers (subscribers, the Kafka
 * consumer) can tell a measured message from anything else and read its send time.
 */
export const PAYLOAD_MAGIC = 0x46514231; // 'FQB1'
export const PAYLOAD_HEADER_BYTES = 16;

export function writePayloadHeader(buf: Buffer, offset: number, runTag: number, sentAtMs: number): void {
  buf.writeUInt32BE(PAYLOAD_MAGIC, offset);
  buf.writeUInt32BE(runTag >>> 0, offset + 4);
  buf.writeDoubleBE(sentAtMs, offset + 8);
}

/** Run tag and send time of a benchmark payload, or undefined for a foreign message. */
export function readPayloadHeader(payload: Buffer): { runTag: number; sentAt: number } | undefined {
  if (payload.length < PAYLOAD_HEADER_BYTES || payload.readUInt32BE(0) !== PAYLOAD_MAGIC) return undefined;
  return { runTag: payload.readUInt32BE(4), sentAt: payload.readDoubleBE(8) };
}

/**
 * A prebuilt PUBLISH packet: each send copies it and patches the packet id and the payload
 * header, so the hot loop never runs the generic encoder.
 */
export class PublishTemplate {
  private readonly bytes: Buffer;
  private readonly payloadOffset: number;
  private readonly idOffset: number;

  constructor(topic: string, payloadBytes: number, readonly qos: 0 | 1) {
    if (payloadBytes < PAYLOAD_HEADER_BYTES) throw new Error(`payload must be >= ${PAYLOAD_HEADER_BYTES} bytes`);
    const payload = Buffer.alloc(payloadBytes, 0x61);
    this.bytes = mqttPacket.generate({
      cmd: 'publish', topic, payload, qos, messageId: qos > 0 ? 1 : undefined, retain: false, dup: false,
    });
    this.payloadOffset = this.bytes.length - payloadBytes;
    this.idOffset = this.payloadOffset - 2;
  }

  build(messageId: number, runTag: number, sentAtMs: number): Buffer {
    const buf = Buffer.allocUnsafe(this.bytes.length);
    this.bytes.copy(buf);
    if (this.qos > 0) buf.writeUInt16BE(messageId, this.idOffset);
    writePayloadHeader(buf, this.payloadOffset, runTag, sentAtMs);
    return buf;
  }
}

export interface ConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  clientId: string;
  username?: string;
  password?: string;
  keepalive: number;
  clean: boolean;
  timeoutMs: number;
}

export class ConnackError extends Error {
  constructor(readonly returnCode: number) {
    super(`CONNACK ${returnCode}`);
  }
}

const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** A minimal MQTT 3.1.1 client over a raw socket; the caller handles packets itself. */
export class RawClient {
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  onPacket: (packet: Packet) => void = () => undefined;
  onClose: () => void = () => undefined;
  closed = false;
  nextId = 0;

  constructor(readonly socket: Socket, readonly clientId: string) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    this.parser.on('packet', (p: Packet) => this.onPacket(p));
    this.parser.on('error', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.onClose();
    });
  }

  /** Packet ids 1..65535, wrapping. */
  allocId(): number {
    this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1;
    return this.nextId;
  }

  write(buf: Buffer): boolean {
    return this.socket.write(buf);
  }

  ping(): void {
    if (!this.closed) this.socket.write(PINGREQ);
  }

  send(packet: Packet): boolean {
    return this.socket.write(mqttPacket.generate(packet));
  }

  /** SUBSCRIBE and wait for the SUBACK; rejects when a grant is 0x80. */
  subscribe(topic: string, qos: 0 | 1, timeoutMs = 30_000): Promise<void> {
    const messageId = this.allocId();
    return new Promise((resolve, reject) => {
      const previous = this.onPacket;
      const timer = setTimeout(() => done(new Error(`SUBACK timeout for ${topic}`)), timeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.onPacket = previous;
        if (err) reject(err);
        else resolve();
      };
      this.onPacket = (p) => {
        if (p.cmd === 'suback' && p.messageId === messageId) {
          done(p.granted.some((g) => typeof g === 'number' && g >= 0x80) ? new Error(`SUBSCRIBE ${topic} refused`) : undefined);
        } else previous(p);
      };
      this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    });
  }

  disconnect(): void {
    if (this.closed) return;
    this.socket.end(DISCONNECT);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const sourcePorts = new SourcePorts();
/** Ports tried before a connect from a source address gives up (each taken one is skipped). */
const SOURCE_PORT_ATTEMPTS = 64;

/**
 * Opens a socket, sends CONNECT and resolves once CONNACK 0 arrived. From a source address, the
 * local port is chosen here (see SourcePorts), skipping ports that are taken.
 */
export async function connectClient(opts: ConnectOptions): Promise<RawClient> {
  if (opts.localAddress === undefined) return connectOnce(opts, undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(opts, sourcePorts.take(opts.localAddress));
    } catch (err) {
      if (!isSourcePortTaken(err) || attempt >= SOURCE_PORT_ATTEMPTS) throw err;
    }
  }
}

function connectOnce(opts: ConnectOptions, localPort: number | undefined): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: opts.host, port: opts.port, localAddress: opts.localAddress, localPort });
    const client = new RawClient(socket, opts.clientId);
    let settled = false;
    const timer = setTimeout(() => fail(new Error('CONNECT timeout')), opts.timeoutMs);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    client.onClose = () => fail(new Error('closed before CONNACK'));
    client.onPacket = (p) => {
      if (p.cmd !== 'connack' || settled) return;
      if (p.returnCode !== 0) return fail(new ConnackError(p.returnCode ?? -1));
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', fail);
      client.onClose = () => undefined;
      client.onPacket = () => undefined;
      resolve(client);
    };
    socket.once('connect', () => {
      client.send({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: opts.clean, clientId: opts.clientId,
        keepalive: opts.keepalive, username: opts.username,
        password: opts.password === undefined ? undefined : Buffer.from(opts.password),
      });
    });
  });
}
