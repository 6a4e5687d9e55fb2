import type { GuardTarget, Violation } from '../guards/packet-guards.js';
import { withProbeClient } from './engine-version.js';
import { MQTT_PACKET_VERSION, checkMqttPacket } from './mqtt-packet-adapter.js';
import { captureLogs } from '../../../../test/helpers/logs.js';

const LIMITS = { maxPayloadBytes: 1024, maxTopicLength: 64, preConnectMaxBytes: 512 };

function target(violations: Violation[]): GuardTarget {
  return {
    preConnectBytes: 0,
    guardFailed: false,
    connected: () => false,
    violation: (kind) => violations.push(kind),
    destroy: () => undefined,
    crashed: (err) => {
      throw err;
    },
  };
}

/** Feeds a CONNECT whose will QoS is 3 (mqtt-packet accepts it) to a probe client's parser. */
function feedWillQos3(parser: { parse(buf: Buffer): number; on(event: string, fn: () => void): unknown }): void {
  parser.on('error', () => undefined);
  // CONNECT, MQTT level 4, flags: will QoS 3 + will flag + clean session; keepalive 60; ids.
  const body = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x1e, 0, 60, 0, 1, 0x63, 0, 1, 0x74, 0, 1, 0x70]);
  parser.parse(Buffer.concat([Buffer.from([0x10, body.length]), body]));
}

describe('checkMqttPacket', () => {
  it('is patched with the installed mqtt-packet: guards go on the parser of the client given', async () => {
    const log = captureLogs();
    const violations: Violation[] = [];
    await withProbeClient((probe) => {
      const adapter = checkMqttPacket({ logger: log.logger, probe });
      expect(adapter.state).toEqual({ engine: 'mqtt-packet', expectedVersion: MQTT_PACKET_VERSION, foundVersion: MQTT_PACKET_VERSION, patched: true });
      adapter.guardParser(probe.client, LIMITS, target(violations));
      feedWillQos3((probe.client as { _parser: Parameters<typeof feedWillQos3>[0] })._parser);
    });
    expect(violations).toEqual(['will-qos']);
    expect(log.lines).toEqual([]);
  });

  it('falls back with a warning naming mqtt-packet and both versions when the version differs: no guards', async () => {
    const log = captureLogs();
    const violations: Violation[] = [];
    await withProbeClient((probe) => {
      const adapter = checkMqttPacket({ logger: log.logger, probe, foundVersion: '9.1.0' });
      expect(adapter.patched).toBe(false);
      adapter.guardParser(probe.client, LIMITS, target(violations));
      feedWillQos3((probe.client as { _parser: Parameters<typeof feedWillQos3>[0] })._parser);
    });
    expect(violations).toEqual([]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'mqtt-packet', expectedVersion: MQTT_PACKET_VERSION, foundVersion: '9.1.0', reason: 'version differs' });
    expect(String(log.lines[0]!.lost)).toMatch(/no packet guards/);
  });

  it('falls back when the self-test finds a parser member missing', async () => {
    const log = captureLogs();
    const adapter = await withProbeClient((probe) => {
      const parser = (probe.client as { _parser: object })._parser;
      const client = { _parser: Object.assign(Object.create(Object.getPrototypeOf(parser) as object), parser, { _states: undefined }) };
      return checkMqttPacket({ logger: log.logger, probe: { broker: probe.broker, client } });
    });
    expect(adapter.patched).toBe(false);
    expect(adapter.state.reason).toBe('self-test: the parser lacks parser._states');
    expect(log.lines[0]).toMatchObject({ level: 40, engine: 'mqtt-packet', patched: false });
  });
});
