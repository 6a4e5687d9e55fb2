import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { clientIdIn, startTestGateway, type SeededInstance, type TestGateway } from '../helpers/gateway.js';
import { Inbox, connectClient, endAllClients, publish, subscribe } from '../helpers/mqtt.js';

describe('gateway transports: WebSocket and TLS', () => {
  let gw: TestGateway;
  let inst: SeededInstance;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetmq-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
      stdio: 'ignore',
    });
    gw = await startTestGateway({ config: { allowAnonymous: true, tlsCertFile: cert, tlsKeyFile: key } });
    inst = await gw.seed.instance();
  });
  afterAll(async () => {
    await endAllClients();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks MQTT over WebSocket on /mqtt, authenticated, to TCP clients of the same instance', async () => {
    const tcp = await connectClient(gw.mqttUrl, await gw.seed.signatureClient(inst.id, clientIdIn()));
    const tcpInbox = new Inbox(tcp);
    await subscribe(tcp, 'telemetry/#');
    const wsId = clientIdIn();
    let transport = '';
    const off = gw.gateway.events.on('connected', (ctx) => {
      if (ctx.clientId === wsId) transport = ctx.transport;
    });
    const ws = await connectClient(gw.wsUrl, await gw.seed.signatureClient(inst.id, wsId));
    off();
    expect(transport).toBe('ws');
    await publish(ws, 'telemetry/from-ws', 'browser', { qos: 1 });
    expect((await tcpInbox.next()).payload.toString()).toBe('browser');
    const wsInbox = new Inbox(ws);
    await subscribe(ws, 'cmd/#');
    await publish(tcp, 'cmd/to-ws', 'hi', { qos: 1 });
    expect((await wsInbox.next()).topic).toBe('cmd/to-ws');
  });

  it('negotiates the mqtt subprotocol and answers 404 on other paths', async () => {
    const port = gw.gateway.ports!.ws;
    const protocol = await new Promise<string>((resolve, reject) => {
      const sock = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, ['mqttv3.1']);
      sock.once('open', () => {
        resolve(sock.protocol);
        sock.terminate();
      });
      sock.once('error', reject);
    });
    expect(protocol).toBe('mqttv3.1');
    const upgradeStatus = await new Promise<number>((resolve) => {
      const sock = new WebSocket(`ws://127.0.0.1:${port}/other`, ['mqtt']);
      sock.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      sock.once('error', () => resolve(-1));
    });
    expect(upgradeStatus).toBe(404);
    const plainStatus = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/mqtt' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(plainStatus).toBe(404);
  });

  it('speaks MQTT over TLS', async () => {
    expect(gw.mqttsUrl).toBeDefined();
    const id = clientIdIn();
    let transport = '';
    const off = gw.gateway.events.on('connected', (ctx) => {
      if (ctx.clientId === id) transport = ctx.transport;
    });
    const tls = await connectClient(gw.mqttsUrl!, { ...(await gw.seed.signatureClient(inst.id, id)), rejectUnauthorized: false });
    off();
    expect(transport).toBe('tls');
    const inbox = new Inbox(tls);
    await subscribe(tls, 'telemetry/tls');
    await publish(tls, 'telemetry/tls', 'secure', { qos: 2 });
    expect((await inbox.next()).payload.toString()).toBe('secure');
  });
});
