export { loadConfig, loadConfigOrExit, LOG_LEVELS, DENY_ACTIONS, SESSION_STORES } from './config.js';
export type { FleetMqConfig, MqttLimits, UplinkSettings, Role, LogLevel, Env, DenyAction, SessionStore } from './config.js';
export { ConfigError } from './config.error.js';
export { createLogger, PinoNestLogger } from './logger.js';
export type { Logger } from './logger.js';
export { checkReadiness, withTimeout, READINESS_CHECK_TIMEOUT_MS } from './readiness.js';
export type { DependencyCheck, DependencyStatus, ReadinessReport } from './readiness.js';
