import type { Auth } from '../lib/protocol.js';

/** One listening broker process of a target. */
export interface Endpoint {
  host: string;
  port: number;
  pid: number;
  /** HTTP port with /metrics (FleetMQ gateway), if any. */
  httpPort?: number;
}

export interface StartOptions {
  /** Broker processes to start (only FleetMQ runs several). */
  processes: number;
  /** CPU list the broker is pinned to (taskset), e.g. "0". */
  cpus?: string;
  /** Directory for --cpu-prof output, when profiling. */
  cpuProfDir?: string;
  /** FleetMQ: settings every gateway process gets on top of the bench's (e.g. the session store). */
  env?: Record<string, string>;
}

/** A system under test: Mosquitto, bare aedes or a FleetMQ gateway mode. */
export interface Target {
  readonly name: string;
  readonly description: string;
  readonly isFleetMq: boolean;
  /** Whether start() may run several processes (connection scale-out). */
  readonly multiProcess: boolean;
  readonly auth: Auth;
  /** Client IDs are this prefix plus a number (FleetMQ signature mode needs `GID_x@@@`). */
  readonly idPrefix: string;
  /** First topic level for every benchmark topic. */
  readonly topicRoot: string;
  /** Kafka bootstrap servers for the backend consumer/producer (FleetMQ only). */
  readonly kafkaBrokers?: string[];
  endpoints: Endpoint[];
  version(): Promise<string>;
  start(opts: StartOptions): Promise<void>;
  /** Stops what start() started; returns written CPU profiles. */
  stop(): Promise<string[]>;
  /** Database transactions committed so far (FleetMQ: pg_stat_database.xact_commit). */
  dbTransactions?(): Promise<number>;
  /**
   * FleetMQ: the Kafka downlink record (key, headers) that sends `topic` to every subscriber,
   * or only to `targetClientId` (P2P). Peers have none: one MQTT publisher sends instead.
   */
  downlinkRecord?(topic: string, targetClientId?: string): { key: string; headers: Record<string, string> };
  /** Whether a client must SUBSCRIBE to its P2P topic to get P2P messages (FleetMQ: no). */
  readonly p2pNeedsSubscribe: boolean;
  /** Where the broker's output went, for error messages. */
  logHint?(): string;
  /** Prometheus text of each endpoint's /metrics, when exposed. */
  metrics?(): Promise<string[]>;
}
