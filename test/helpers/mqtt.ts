// MQTT test helpers over real sockets: MQTT.js clients, message waits, and raw TCP sockets
// for bytes no well-behaved client would send.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as mqttConnect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';

export type ClientOptions = IClientOptions & { clientId?: string; username?: string; password?: string };

const opened = new Set<MqttClient>();

/**
 * Connects and resolves on CONNACK 0; rejects with the error (err.code = CONNACK return code).
 * A listener added after this resolves can miss what came with the CONNACK: use connectInbox
 * to resume a session that has messages queued.
 */
export function connectClient(url: string, options: ClientOptions = {}): Promise<MqttClient> {
  return openClient(url, options);
}

/**
 * Connects with an Inbox listening from before the CONNECT is sent. A resumed session's queued
 * messages can arrive in the same read as the CONNACK, and MQTT.js hands them out (and
 * acknowledges them) before it emits 'connect': an Inbox made after `await connectClient(...)`
 * never sees them.
 */
export async function connectInbox(url: string, options: ClientOptions = {}): Promise<{ client: MqttClient; inbox: Inbox }> {
  let inbox: Inbox | undefined;
  const client = await openClient(url, options, (created) => {
    inbox = new Inbox(created);
  });
  return { client, inbox: inbox! };
}

function openClient(url: string, options: ClientOptions, beforeConnack?: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqttConnect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clean: true, ...options });
    opened.add(client);
    beforeConnack?.(client);
    const onError = (err: Error) => {
      cleanup();
      opened.delete(client);
      client.end(true);
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('connection closed before CONNACK'), { code: 'closed' }));
    };
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const cleanup = () => {
      client.off('error', onError);
      client.off('connect', onConnect);
      client.off('close', onClose);
    };
    client.on('error', onError);
    client.on('connect', onConnect);
    client.on('close', onClose);
  });
}

/** The CONNACK return code a CONNECT gets: 0 when accepted (the client is closed again). */
export async function connackCode(url: string, options: ClientOptions = {}): Promise<number | string> {
  try {
    const client = await connectClient(url, options);
    await endClient(client);
    return 0;
  } catch (err) {
    return (err as { code?: number | string }).code ?? 'unknown';
  }
}

/** Sends DISCONNECT and closes (`force` closes the socket without DISCONNECT, like a dying device). */
export function endClient(client: MqttClient, force = false): Promise<void> {
  opened.delete(client);
  if (client.disconnected || !client.connected) force = true;
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}

/** Ends every client the helpers opened (afterAll). */
export async function endAllClients(): Promise<void> {
  await Promise.all([...opened].map((c) => endClient(c, true)));
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** Collects every message a client receives, for later assertions. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, packet });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves with the first message (already received or coming) that matches. */
  async next(match: (m: Received) => boolean = () => true, timeoutMs = 3000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms (got: ${this.messages.map((m) => m.topic).join(', ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asserts nothing matching arrives within `ms`. */
  async none(match: (m: Received) => boolean = () => true, ms = 400): Promise<void> {
    await sleep(ms);
    const found = this.messages.find(match);
    if (found !== undefined) throw new Error(`unexpected message on ${found.topic}: ${found.payload.toString()}`);
  }
}

export function waitForMessage(client: MqttClient, topic?: string, timeoutMs = 3000): Promise<Received> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no message${topic ? ` on ${topic}` : ''} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (received: string, payload: Buffer, packet: IPublishPacket) => {
      if (topic !== undefined && received !== topic) return;
      clearTimeout(t);
      client.off('message', onMessage);
      resolve({ topic: received, payload, packet });
    };
    client.on('message', onMessage);
  });
}

/** Resolves when the client's connection closes (the server closed it), rejects after the timeout. */
export function waitForClose(client: MqttClient, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected && client.disconnected) return resolve();
    const t = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function subscribe(client: MqttClient, filters: string | string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
  return new Promise((resolve, reject) => {
    // MQTT.js reports a SUBACK with 0x80 as an error; the granted codes are still in the packet.
    client.subscribe(filters, { qos }, (err, _subs, packet) => {
      const granted = (packet as { granted?: number[] } | undefined)?.granted;
      if (granted !== undefined) return resolve(granted);
      reject(err ?? new Error('no SUBACK'));
    });
  });
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, options: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: options.qos ?? 0, retain: options.retain ?? false }, (err) => (err ? reject(err) : resolve()));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------ raw sockets

/** A raw TCP connection that records what it receives and when it closes. */
export class RawSocket {
  readonly received: Buffer[] = [];
  closed = false;
  private readonly closing: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => this.received.push(d));
    socket.on('error', () => {});
    this.closing = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static open(port: number, localAddress?: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Resolves true when the server closed the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    const timer = sleep(ms).then(() => false);
    return Promise.race([this.closing.then(() => true), timer]);
  }

  /** Waits until at least `bytes` bytes arrived. */
  async waitBytes(bytes: number, ms = 2000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (Buffer.concat(this.received).length < bytes && Date.now() < deadline && !this.closed) await sleep(10);
    return Buffer.concat(this.received);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Encodes a packet with mqtt-packet (for valid packets sent over a raw socket). */
export function encode(packet: mqttPacket.Packet): Buffer {
  return mqttPacket.generate(packet);
}

export function connectPacket(clientId: string, extra: Partial<mqttPacket.IConnectPacket> = {}): Buffer {
  return encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId, ...extra } as mqttPacket.IConnectPacket);
}

/** A PUBLISH built by hand, so topic bytes and packet id can be anything. */
export function rawPublish(topicBytes: Buffer, payload: Buffer, qos: 0 | 1 | 2 = 0, packetId = 1): Buffer {
  const idBytes = qos > 0 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0);
  const body = Buffer.concat([Buffer.from([topicBytes.length >> 8, topicBytes.length & 0xff]), topicBytes, idBytes, payload]);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), remainingLength(body.length), body]);
}

export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** CONNACK bytes: 0x20 0x02 <flags> <code>. */
export function connackReturnCode(bytes: Buffer): number | undefined {
  return bytes.length >= 4 && bytes[0] === 0x20 ? bytes[3] : undefined;
}
