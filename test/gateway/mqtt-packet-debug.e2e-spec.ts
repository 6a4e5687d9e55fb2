import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// Runs the built gateway module in a child process: which mqtt-packet a process gets is decided
// once, when the module graph loads.
const GATEWAY_INDEX = resolve('dist/apps/gateway/src/index.js');

/** Loads the gateway's public module, then parses one PUBLISH with the mqtt-packet aedes gets, with mqtt-packet's debug namespace switched on afterwards. */
const PROBE = `
import ${JSON.stringify(GATEWAY_INDEX)};
import { createRequire } from 'node:module';
import { mqttPacketDebugState } from ${JSON.stringify(resolve('dist/apps/gateway/src/engine/mqtt-packet-debug.js'))};
const fromAedes = createRequire(${JSON.stringify(resolve('node_modules/aedes/aedes.js'))});
const mqttPacket = fromAedes('mqtt-packet');
createRequire(${JSON.stringify(resolve('node_modules/mqtt-packet/parser.js'))})('debug').enable('mqtt-packet:*');
const parser = mqttPacket.parser();
let packets = 0;
parser.on('packet', () => packets++);
parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: 'x', qos: 1, messageId: 7 }));
console.log(JSON.stringify({ state: mqttPacketDebugState(), packets }));
`;

function probe(env: NodeJS.ProcessEnv): { state: string; packets: number; stderr: string } {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { env, encoding: 'utf8' });
  expect(out.status).toBe(0);
  return { ...(JSON.parse(out.stdout.trim().split('\n').pop()!) as { state: string; packets: number }), stderr: out.stderr };
}

describe("mqtt-packet's debug calls", () => {
  const { DEBUG: _debug, ...withoutDebug } = process.env;

  it('are empty functions in the mqtt-packet aedes gets, when DEBUG is unset: enabling the namespace later prints nothing', () => {
    const r = probe(withoutDebug);
    expect(r).toMatchObject({ state: 'silenced', packets: 1 });
    expect(r.stderr).not.toContain('mqtt-packet:parser');
  });

  it('stay as they are when DEBUG is set, so debug output works as usual', () => {
    const r = probe({ ...withoutDebug, DEBUG: 'mqtt-packet:*' });
    expect(r).toMatchObject({ state: 'DEBUG is set', packets: 1 });
    expect(r.stderr).toContain('mqtt-packet:parser');
  });
});
