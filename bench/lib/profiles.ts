/** Load sizes: `quick` (smoke, CI), `default` (`npm run bench`, a few minutes), `full` (>= 100k connections). */
export interface Profile {
  name: 'quick' | 'default' | 'full';
  reps: number;
  connections: {
    /** Idle clients per broker process (Mosquitto and aedes run one process). */
    perProcess: number;
    /** FleetMQ gateway processes in the connection scenario. */
    fleetmqProcesses: number;
    /** Sockets per generator process at most (open-file limit 20,000). */
    perGenerator: number;
    concurrency: number;
    keepaliveSec: number;
    idleWindowMs: number;
  };
  fanIn: {
    clients: number;
    inflight: number;
    payloads: number[];
    warmupMs: number;
    durationMs: number;
  };
  fanOut: {
    subscribers: number;
    broadcasts: number;
    p2pMessages: number;
    slowMessages: number;
    slowPayloadBytes: number;
  };
  reconnect: { clients: number };
  fixedRate: {
    /** Offered rates, msg/s, each direction. */
    rates: number[];
    directions: Array<'kafka' | 'uplink' | 'downlink-p2p' | 'downlink-broadcast'>;
    /** MQTT.js devices sharing the uplink rate. */
    devices: number;
    /** Devices the P2P downlink records go to, in turn. */
    p2pDevices: number;
    warmupMs: number;
    durationMs: number;
  };
}

const DIRECTIONS: Profile['fixedRate']['directions'] = ['kafka', 'uplink', 'downlink-p2p', 'downlink-broadcast'];

export const PROFILES: Record<Profile['name'], Profile> = {
  quick: {
    name: 'quick',
    reps: 1,
    connections: { perProcess: 1000, fleetmqProcesses: 1, perGenerator: 19_000, concurrency: 100, keepaliveSec: 5, idleWindowMs: 2000 },
    fanIn: { clients: 50, inflight: 10, payloads: [128], warmupMs: 500, durationMs: 2000 },
    fanOut: { subscribers: 500, broadcasts: 2, p2pMessages: 2000, slowMessages: 5000, slowPayloadBytes: 1024 },
    reconnect: { clients: 500 },
    fixedRate: { rates: [100, 1000], directions: DIRECTIONS, devices: 20, p2pDevices: 20, warmupMs: 500, durationMs: 1000 },
  },
  default: {
    name: 'default',
    reps: 3,
    connections: { perProcess: 10_000, fleetmqProcesses: 2, perGenerator: 19_000, concurrency: 200, keepaliveSec: 30, idleWindowMs: 15_000 },
    fanIn: { clients: 200, inflight: 10, payloads: [128], warmupMs: 1500, durationMs: 5000 },
    fanOut: { subscribers: 10_000, broadcasts: 5, p2pMessages: 20_000, slowMessages: 50_000, slowPayloadBytes: 1024 },
    reconnect: { clients: 10_000 },
    fixedRate: { rates: [100, 1000, 5000, 10_000], directions: DIRECTIONS, devices: 100, p2pDevices: 100, warmupMs: 2000, durationMs: 5000 },
  },
  full: {
    name: 'full',
    reps: 3,
    connections: { perProcess: 19_000, fleetmqProcesses: 6, perGenerator: 19_000, concurrency: 300, keepaliveSec: 60, idleWindowMs: 20_000 },
    fanIn: { clients: 200, inflight: 10, payloads: [64, 128, 512], warmupMs: 3000, durationMs: 20_000 },
    fanOut: { subscribers: 10_000, broadcasts: 10, p2pMessages: 100_000, slowMessages: 200_000, slowPayloadBytes: 1024 },
    reconnect: { clients: 10_000 },
    fixedRate: { rates: [100, 1000, 5000, 10_000], directions: DIRECTIONS, devices: 1000, p2pDevices: 1000, warmupMs: 3000, durationMs: 20_000 },
  },
};
