// Public surface of the gateway core for the bridge (./bridge) and the all-in-one process.
export * from './gateway.ports.js';
export { Gateway, createGateway } from './gateway.js';
export type { GatewayOptions } from './gateway.js';
export { GatewayModule, GatewayLifecycle, GATEWAY_OPTIONS } from './gateway.module.js';
export type { GatewayModuleAsyncOptions } from './gateway.module.js';
