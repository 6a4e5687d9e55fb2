import type { Logger } from '#config';
import { installPacketGuards, type GuardLimits, type GuardTarget, type ParserInternals } from '../guards/packet-guards.js';
import { engineVersion, type EngineCheck, type EngineProbe } from './engine-version.js';

/**
 * FleetMQ's patches of mqtt-packet. The second, silent debug calls, lives in
 * mqtt-packet-debug.ts because it must run before aedes is loaded (the gateway's start line
 * reports it as `mqttPacketDebug`). The first: the packet guards (guards/packet-guards.ts, which says
 * what they check and why) are installed on each connection's parser instance as own
 * properties (`parse`, `_parseLength`, `_parseString`, `_parseMessageId`, `emit`, `_states`,
 * `_list`). Only the parsers of FleetMQ's own clients are touched, never mqtt-packet's
 * prototype. Guarded like the aedes patches: applied only when the mqtt-packet aedes loads is
 * exactly MQTT_PACKET_VERSION and a probe client's parser has every member the guards use.
 */

/** The mqtt-packet version the guards were written for (parser.js). */
export const MQTT_PACKET_VERSION = '9.0.2';

const LOST =
  'no packet guards: malformed packets mqtt-packet accepts (ill-formed UTF-8, U+0000, packet id 0, will QoS 3, wrong lengths, ...) reach aedes, ' +
  'size caps apply only after a packet is buffered, no pre-CONNECT byte cap, UNSUBSCRIBE before CONNACK is not namespaced, ' +
  'and a parser exception is not contained per connection';

const PARSER_METHODS = ['parse', '_parseLength', '_parseString', '_parseMessageId', '_emitError', 'emit'] as const;

export interface MqttPacketCheckOptions {
  logger: Logger;
  /** A client of a throwaway broker (engine-version.ts withProbeClient). */
  probe: EngineProbe;
  /** For tests: the installed version as read from mqtt-packet's package.json otherwise. */
  foundVersion?: string;
}

export class MqttPacketAdapter {
  constructor(readonly state: EngineCheck) {}

  get patched(): boolean {
    return this.state.patched;
  }

  /** Installs the packet guards on a new client's parser (call before it reads anything). */
  guardParser(client: object, limits: GuardLimits, target: GuardTarget): void {
    if (this.patched) installPacketGuards((client as { _parser: ParserInternals })._parser, limits, target);
  }
}

/** Checks the mqtt-packet aedes loads, once at gateway start; logs a warning when the guards are not installed. */
export function checkMqttPacket(options: MqttPacketCheckOptions): MqttPacketAdapter {
  const foundVersion = options.foundVersion ?? engineVersion('mqtt-packet');
  const state: EngineCheck = { engine: 'mqtt-packet', expectedVersion: MQTT_PACKET_VERSION, foundVersion, patched: false };
  const missing = missingMembers((options.probe.client as { _parser?: unknown })._parser);
  if (foundVersion !== MQTT_PACKET_VERSION) state.reason = 'version differs';
  else if (missing.length > 0) state.reason = `self-test: the parser lacks ${missing.join(', ')}`;
  else state.patched = true;
  if (!state.patched) options.logger.warn({ ...state, lost: LOST }, `mqtt-packet ${foundVersion} (patch written for ${MQTT_PACKET_VERSION}): engine patch not applied`);
  return new MqttPacketAdapter(state);
}

function missingMembers(parser: unknown): string[] {
  if (typeof parser !== 'object' || parser === null) return ['client._parser'];
  const p = parser as Record<string, unknown>;
  const missing: string[] = [];
  for (const name of PARSER_METHODS) if (typeof p[name] !== 'function') missing.push(`parser.${name}`);
  if (!Array.isArray(p._states)) missing.push('parser._states');
  const list = p._list as { length?: unknown } | undefined;
  if (typeof list !== 'object' || list === null || typeof list.length !== 'number') missing.push('parser._list');
  if (typeof p.packet !== 'object' || p.packet === null) missing.push('parser.packet');
  if (typeof p.settings !== 'object' || p.settings === null) missing.push('parser.settings');
  return missing;
}
