import { loadConfig } from '#config';
import { describeStartFailure } from './start-failure.js';
import { StartError } from './start-error.js';

describe('describeStartFailure', () => {
  const config = loadConfig('all-in-one', { FLEETMQ_HTTP_PORT: '18080', FLEETMQ_MQTT_PORT: '11884' });

  it('prints a known failure as one line: cause and fix', () => {
    const line = describeStartFailure(new StartError('another FleetMQ (pid 7) is already running on the data folder /d', 'Stop it first'), config);
    expect(line).toBe('FleetMQ could not start: another FleetMQ (pid 7) is already running on the data folder /d. Stop it first');
  });

  it('names the variable of a port that was taken while starting', () => {
    const error = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:11884'), { code: 'EADDRINUSE', port: 11884 });
    const line = describeStartFailure(error, config);
    expect(line).toMatch(/^FleetMQ could not start: port 11884 \(FLEETMQ_MQTT_PORT\) is already in use by .+\. Stop it, or choose a free port, e.g\. FLEETMQ_MQTT_PORT=11885$/);
  });

  it('gives an unknown error its message in one line, the stack only at LOG_LEVEL=debug', () => {
    const error = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeStartFailure(error, config)).toBe('FleetMQ could not start: connect ECONNREFUSED 127.0.0.1:5432 (LOG_LEVEL=debug shows where)');
    const debug = describeStartFailure(error, { ...config, logLevel: 'debug' });
    expect(debug.split('\n')[0]).toBe('FleetMQ could not start: connect ECONNREFUSED 127.0.0.1:5432');
    expect(debug).toContain('start-failure.spec');
  });

  it('never prints a bare "undefined" (a promise rejected without a reason)', () => {
    const line = describeStartFailure(undefined, config);
    expect(line).toMatch(/^FleetMQ could not start: undefined \(an error without a message; LOG_LEVEL=debug logs the steps before it\)$/);
  });
});
