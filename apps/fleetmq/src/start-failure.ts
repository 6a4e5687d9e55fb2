import type { FleetMqConfig } from '#config';
import { portError } from './port-check.js';
import { StartError } from './start-error.js';

/**
 * The one plain line a failed start prints: the cause and the fix for a known failure
 * (StartError, a port taken while starting), else the error's own message; the stack only
 * when LOG_LEVEL asks for debug output.
 */
export function describeStartFailure(error: unknown, config: FleetMqConfig | undefined): string {
  const known = error instanceof StartError ? error : asPortError(error, config);
  if (known !== undefined) return `FleetMQ could not start: ${known.message}`;
  const debug = config?.logLevel === 'debug' || config?.logLevel === 'trace';
  if (error instanceof Error) {
    const detail = debug ? `\n${error.stack ?? ''}` : ' (LOG_LEVEL=debug shows where)';
    return `FleetMQ could not start: ${error.message || error.name}${detail}`;
  }
  return `FleetMQ could not start: ${String(error)} (an error without a message; LOG_LEVEL=debug logs the steps before it)`;
}

function asPortError(error: unknown, config: FleetMqConfig | undefined): StartError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const port = (error as { port?: number } | undefined)?.port;
  if (config === undefined || (code !== 'EADDRINUSE' && code !== 'EACCES') || port === undefined) return undefined;
  const variable = portVariables(config).find((entry) => entry.port === port)?.variable ?? 'the port setting';
  const mapped = portError(error as NodeJS.ErrnoException, port, variable);
  return mapped instanceof StartError ? mapped : undefined;
}

/** Every port the all-in-one process listens on, with the variable that sets it. */
export function portVariables(config: FleetMqConfig): { port: number; variable: string }[] {
  const ports = [
    { port: config.httpPort, variable: 'FLEETMQ_HTTP_PORT' },
    { port: config.mqttPort, variable: 'FLEETMQ_MQTT_PORT' },
    { port: config.wsPort, variable: 'FLEETMQ_WS_PORT' },
  ];
  if (config.tlsCertFile !== undefined) ports.push({ port: config.mqttsPort, variable: 'FLEETMQ_MQTTS_PORT' });
  return ports;
}
