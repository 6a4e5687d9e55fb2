// Proves the per-connection publish limits over real MQTT.js clients: FLEETMQ_PUBLISH_RATE_PER_CONNECTION
// slows a flooding client down (its socket stops being read; nothing is dropped) without slowing
// another client, and FLEETMQ_MAX_INFLIGHT caps the QoS 1 publishes of one connection that wait
// for Kafka at once.
import type { MqttClient } from 'mqtt';
import type { ClientContext, PublishForwarder, UplinkPublish } from '../../apps/gateway/src/index.js';
import { clientIdIn, startTestGateway, type SeededInstance, type TestGateway } from '../helpers/gateway.js';
import { connectClient, endAllClients, publish } from '../helpers/mqtt.js';
import { quietWindow, waitFor } from '../helpers/wait.js';

const RATE = 20;
const MAX_INFLIGHT = 3;

/** Acknowledges at once, or holds the acknowledgements of one client until released. */
class HoldingForwarder implements PublishForwarder {
  readonly seen = new Map<string, number>();
  holdClient: string | undefined;
  readonly held: Array<() => void> = [];

  forward(ctx: ClientContext, _packet: UplinkPublish, done: (err?: Error | null) => void): void {
    this.seen.set(ctx.clientId, (this.seen.get(ctx.clientId) ?? 0) + 1);
    if (ctx.clientId === this.holdClient) this.held.push(() => done());
    else done();
  }

  release(): void {
    for (const ack of this.held.splice(0)) ack();
  }
}

describe('per-connection publish limits', () => {
  let gw: TestGateway;
  let inst: SeededInstance;
  const forwarder = new HoldingForwarder();
  const device = async (): Promise<{ client: MqttClient; clientId: string }> => {
    const clientId = clientIdIn();
    return { client: await connectClient(gw.mqttUrl, await gw.seed.signatureClient(inst.id, clientId)), clientId };
  };

  beforeAll(async () => {
    gw = await startTestGateway({ config: { limits: { publishRatePerConnection: RATE, maxInflight: MAX_INFLIGHT } }, forwarder });
    inst = await gw.seed.instance({ topics: ['telemetry'] });
  });
  afterAll(async () => {
    forwarder.release();
    await endAllClients();
    await gw?.close();
  });

  it(`holds a flooding client to ${RATE} publishes/s, loses none, and leaves another client at full speed`, async () => {
    const flooder = await device();
    const other = await device();
    const count = 3 * RATE;
    const started = Date.now();
    const flood = Promise.all(Array.from({ length: count }, (_, i) => publish(flooder.client, 'telemetry/flood', String(i), { qos: 1 })));
    // The first bucket went at once: from here on the flood is throttled.
    await waitFor(() => (forwarder.seen.get(flooder.clientId) ?? 0) >= RATE, { what: 'the flood\'s first bucket forwarded' });
    const otherStarted = Date.now();
    await Promise.all(Array.from({ length: 5 }, (_, i) => publish(other.client, 'telemetry/other', String(i), { qos: 1 })));
    const otherDoneAt = Date.now();
    const otherMs = otherDoneAt - otherStarted;
    await flood;
    const floodDoneAt = Date.now();
    const floodMs = floodDoneAt - started;
    // A full bucket (RATE) goes at once, the remaining 2 x RATE take 2 s; without the limit, ~50 ms.
    expect(floodMs).toBeGreaterThanOrEqual(1_600);
    expect(forwarder.seen.get(flooder.clientId)).toBe(count);
    expect(otherMs).toBeLessThan(1_000);
    expect(otherDoneAt).toBeLessThan(floodDoneAt); // the other finished while the flood was still held back
  });

  it(`keeps at most ${MAX_INFLIGHT} QoS 1 publishes of one connection waiting for Kafka`, async () => {
    const { client, clientId } = await device();
    forwarder.holdClient = clientId;
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => publish(client, 'telemetry/held', String(i), { qos: 1 })));
    await waitFor(() => forwarder.seen.get(clientId) === MAX_INFLIGHT);
    await quietWindow(500, 'a publish read beyond the in-flight limit');
    expect(forwarder.seen.get(clientId)).toBe(MAX_INFLIGHT); // the rest wait unread
    await waitFor(
      () => {
        forwarder.release();
        return (forwarder.seen.get(clientId) ?? 0) >= 10 && forwarder.held.length === 0;
      },
      { intervalMs: 20, what: 'all ten publishes forwarded and released' },
    );
    await all;
    expect(forwarder.seen.get(clientId)).toBe(10);
  });
});
