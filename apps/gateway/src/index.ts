// Public surface of the gateway core for the bridge (./bridge) and of the gateway app for the
// all-in-one process, which imports nothing else of it (tools/boundaries).
// First, before anything loads aedes: mqtt-packet without its debug calls (see the file).
import './engine/mqtt-packet-debug.js';
export * from './gateway.ports.js';
export { Gateway, createGateway } from './gateway.js';
export type { GatewayOptions } from './gateway.js';
export { GatewayModule, GatewayLifecycle, GATEWAY_OPTIONS } from './gateway.module.js';
export type { GatewayModuleAsyncOptions } from './gateway.module.js';
export { KafkaBridge } from './bridge/kafka-bridge.js';
export type { KafkaBridgeOptions } from './bridge/kafka-bridge.js';
