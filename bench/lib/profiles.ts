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
}

export const PROFILES: Record<Profile['name'], Profile> = {
  quick: {
    name: 'quick',
    reps: 1,
    connections: { perProcess: 1000, fleetmqProcesses: 1, perGenerator: 19_000, concurrency: 100, keepaliveSec: 5, idleWindowMs: 2000 },
    fanIn: { clients: 50, inflight: 10, payloads: [128], warmupMs: 500, durationMs: 2000 },
    fanOut: { subscribers: 500, broadcasts: 2, p2pMessages: 2000, slowMessages: 5000, slowPayloadBytes: 1024 },
    reconnect: { clients: 500 },
  },
  default: {
    name: 'default',
    reps: 3,
    connections: { perProcess: 10_000, fleetmqProcesses: 2, perGenerator: 19_000, concurrency: 200, keepaliveSec: 30, idleWindowMs: 10_000 },
    fanIn: { clients: 200, inflight: 10, payloads: [128], warmupMs: 1500, durationMs: 5000 },
    fanOut: { subscribers: 10_000, broadcasts: 5, p2pMessages: 20_000, slowMessages: 50_000, slowPayloadBytes: 1024 },
    reconnect: { clients: 10_000 },
  },
  full: {
    name: 'full',
    reps: 3,
    connections: { perProcess: 19_000, fleetmqProcesses: 6, perGenerator: 19_000, concurrency: 300, keepaliveSec: 60, idleWindowMs: 20_000 },
    fanIn: { clients: 200, inflight: 10, payloads: [64, 128, 512], warmupMs: 3000, durationMs: 20_000 },
    fanOut: { subscribers: 10_000, broadcasts: 10, p2pMessages: 100_000, slowMessages: 200_000, slowPayloadBytes: 1024 },
    reconnect: { clients: 10_000 },
  },
};
