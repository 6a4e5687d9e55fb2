/** DI tokens of values given to ConsoleModule.register (classes serve as their own tokens). */
export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
export const CONSOLE_LOGGER = Symbol('CONSOLE_LOGGER');
export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
/** The readiness checks besides the database (e.g. Kafka), given in ConsoleOptions.readinessChecks. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
