// Public surface of the console app, for the all-in-one entry and the tests.
export { ConsoleModule } from './console.module.js';
export { createConsoleApp, buildOpenApiDocument } from './create-console-app.js';
export type { ConsoleOptions } from './console.options.js';
export { ConsoleMessaging, consoleMessagingFrom, startConsoleMessaging } from './messaging/console-messaging.js';
export type { ControlCommand, DownlinkMessage } from './messaging/console-messaging.js';
export { InMemoryConsoleMessaging } from './messaging/in-memory-console-messaging.js';
