import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ListeningPorts, Transport } from '../gateway.ports.js';

export type ConnectionHandler = (stream: Duplex, transport: Transport, remoteAddress: string, req?: IncomingMessage) => void;

/** One listening server; close() stops accepting and destroys what is still open. */
export interface Listener {
  readonly port: number;
  /** Stops accepting new connections and leaves the open ones alone (a drain closes them itself). */
  stopAccepting(): void;
  close(): Promise<void>;
}

const WS_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

function listen(server: TcpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closing one server in two steps: stopAccepting() (a drain) and close(), which also destroys
 * what is still open. Node emits 'close' once, so it is awaited from the start, not per call.
 */
function serverCloser(server: TcpServer, sockets: Set<Duplex>): Pick<Listener, 'stopAccepting' | 'close'> {
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stopAccepting = (): void => {
    if (server.listening) server.close();
  };
  return {
    stopAccepting,
    close: () => {
      stopAccepting();
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/**
 * The open sockets of one server, so close() can destroy them. One shared 'close' listener
 * (not a `once` wrapper and closure per socket, which every idle connection would keep).
 */
function socketSet(): { sockets: Set<Duplex>; track(socket: Duplex): void } {
  const sockets = new Set<Duplex>();
  function untrack(this: Duplex): void {
    sockets.delete(this);
  }
  return {
    sockets,
    track(socket: Duplex): void {
      sockets.add(socket);
      socket.on('close', untrack);
    },
  };
}

// socket.remoteAddress keeps a {address, family, port} object on the socket for its lifetime;
// the gateway needs the address once, so a TCP handle is asked directly into a reused object.
const peer: { address?: string } = {};

function addressOf(socket: Socket): string {
  const handle = (socket as unknown as { _handle?: { getpeername?(out: object): number } })._handle;
  if (handle?.getpeername !== undefined) {
    peer.address = undefined;
    if (handle.getpeername(peer) === 0 && typeof peer.address === 'string') return peer.address;
  }
  return socket.remoteAddress ?? 'unknown';
}

export async function listenTcp(port: number, host: string, handle: ConnectionHandler): Promise<Listener> {
  const { sockets, track } = socketSet();
  const server = createTcpServer((socket) => {
    socket.setNoDelay(true);
    track(socket);
    handle(socket, 'tcp', addressOf(socket));
  });
  const actual = await listen(server, port, host);
  return { port: actual, ...serverCloser(server, sockets) };
}

export async function listenTls(
  port: number,
  host: string,
  files: { certFile: string; keyFile: string },
  handshakeTimeoutMs: number,
  handle: ConnectionHandler,
): Promise<Listener> {
  const { sockets, track } = socketSet();
  const server: TlsServer = createTlsServer({
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    handshakeTimeout: handshakeTimeoutMs,
  });
  server.on('secureConnection', (socket) => {
    socket.setNoDelay(true);
    track(socket);
    handle(socket, 'tls', socket.remoteAddress ?? 'unknown');
  });
  // A failed handshake is the client's problem; without a listener it would be logged by Node as unhandled.
  server.on('tlsClientError', () => {});
  const actual = await listen(server, port, host);
  return { port: actual, ...serverCloser(server, sockets) };
}

/**
 * MQTT over WebSocket on `path` only (MQTT 3.1.1 §6: binary frames, subprotocol "mqtt";
 * "mqttv3.1" for older clients). Any other path, and plain HTTP, get 404.
 */
export async function listenWebSocket(
  port: number,
  host: string,
  path: string,
  maxFrameBytes: number,
  handle: ConnectionHandler,
): Promise<Listener> {
  const { sockets, track } = socketSet();
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  http.on('connection', track);
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      handle(stream, 'ws', req.socket.remoteAddress ?? 'unknown', req);
    });
  });
  const actual = await listen(http, port, host);
  // Open WebSocket connections are sockets of `http`: stopAccepting() leaves them open.
  const closer = serverCloser(http, sockets);
  return {
    port: actual,
    stopAccepting: closer.stopAccepting,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await closer.close();
    },
  };
}

/** What openListeners needs from the gateway config. */
export interface ListenerSettings {
  bindHost: string;
  mqttPort: number;
  mqttsPort: number;
  wsPort: number;
  wsPath: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  connectTimeoutMs: number;
  /** Largest WebSocket frame accepted (the largest MQTT packet the guards let through, plus framing). */
  maxFrameBytes: number;
}

/** TCP, TLS (when a certificate is configured) and WebSocket; if one fails, those already open are closed. */
export async function openListeners(settings: ListenerSettings, handle: ConnectionHandler): Promise<{ listeners: Listener[]; ports: ListeningPorts }> {
  const host = settings.bindHost;
  const listeners: Listener[] = [];
  try {
    const mqtt = await listenTcp(settings.mqttPort, host, handle);
    listeners.push(mqtt);
    let mqtts: Listener | undefined;
    if (settings.tlsCertFile !== undefined && settings.tlsKeyFile !== undefined) {
      mqtts = await listenTls(settings.mqttsPort, host, { certFile: settings.tlsCertFile, keyFile: settings.tlsKeyFile }, settings.connectTimeoutMs, handle);
      listeners.push(mqtts);
    }
    const ws = await listenWebSocket(settings.wsPort, host, settings.wsPath, settings.maxFrameBytes, handle);
    listeners.push(ws);
    return { listeners, ports: { mqtt: mqtt.port, mqtts: mqtts?.port, ws: ws.port } };
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
}
