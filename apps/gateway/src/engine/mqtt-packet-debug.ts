import { createRequire } from 'node:module';
import { dirname } from 'node:path';

// Named `require` so the boundary check (tools/boundaries) sees which packages this file loads.
const require = createRequire(import.meta.url);

/** The mqtt-packet version whose modules this loads (as the packet guards, mqtt-packet-adapter.ts). */
const MQTT_PACKET_VERSION = '9.0.2';

export type MqttPacketDebugState = 'silenced' | 'DEBUG is set' | 'mqtt-packet was loaded before' | 'version differs' | 'not tried';

let state: MqttPacketDebugState = 'not tried';

/** What quietMqttPacketDebug did, for the engine check's log line. */
export function mqttPacketDebugState(): MqttPacketDebugState {
  return state;
}

/**
 * mqtt-packet's parser and writer call the `debug` package about ten times per packet. With
 * DEBUG unset each call is still a rest-arguments call plus an `enabled` getter: in QoS 1 fan-in
 * CPU profiles, 6 % of the MQTT thread. This loads mqtt-packet once, before aedes does, with a
 * `debug` whose loggers are empty functions, then puts the real `debug` back for every other
 * package; aedes then gets this copy of mqtt-packet from Node's module cache. Only when DEBUG is
 * unset (with it set, debug output works as usual) and only for the version it was checked
 * against. It must run before anything imports aedes or mqtt-packet: the gateway's public
 * module imports it first.
 */
export function quietMqttPacketDebug(): MqttPacketDebugState {
  if (state !== 'not tried') return state;
  if (process.env.DEBUG) return (state = 'DEBUG is set');
  const mqttPacketMain = require.resolve('mqtt-packet');
  // Node's ESM loader enters an imported CommonJS module in the cache when it links the graph,
  // before any of it runs; `loaded` tells whether it ran.
  if (require.cache[mqttPacketMain]?.loaded === true) return (state = 'mqtt-packet was loaded before');
  const pkg = require('mqtt-packet/package.json') as { version: string };
  if (pkg.version !== MQTT_PACKET_VERSION) return (state = 'version differs');
  const debugMain = require.resolve('debug', { paths: [dirname(mqttPacketMain)] });
  const real = require.cache[debugMain];
  require.cache[debugMain] = { id: debugMain, filename: debugMain, loaded: true, exports: silentDebug } as unknown as NodeJS.Module;
  try {
    require('mqtt-packet');
  } finally {
    if (real === undefined) delete require.cache[debugMain];
    else require.cache[debugMain] = real;
  }
  return (state = 'silenced');
}

/** A `debug` factory whose loggers do nothing and report themselves disabled. */
function silentDebug(namespace: string): (...args: unknown[]) => void {
  const logger = (): void => undefined;
  return Object.assign(logger, { namespace, enabled: false, extend: (sub: string) => silentDebug(`${namespace}:${sub}`) });
}

quietMqttPacketDebug();
