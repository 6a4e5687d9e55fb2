/** What `npm run bench:scale` writes to bench/results/scale/: per-node costs, each store at each node count. */

export type SessionStoreName = 'memory' | 'redis';

/** What Redis did during one phase (INFO deltas, the bench's own INFO calls taken out). */
export interface RedisDelta {
  /** Commands processed (commandstats calls, summed). */
  commands: number;
  /**
   * Read events processed (INFO stats total_reads_processed): one per request batch a client
   * sent, so a pipeline of many commands is one: the round trips clients made.
   */
  reads: number;
  /** Write events (replies and pub/sub messages pushed to clients). */
  writes: number;
  /** Redis' own CPU (user + system), µs. */
  cpuMicros: number;
  /** used_memory after minus before, bytes. */
  memoryBytes: number;
  /** Calls per command name (lower case), most frequent first. */
  byCommand: Record<string, number>;
}

/**
 * What one node did with the downlink records it read in a phase (fleetmq_downlink_delivered_total
 * by result). With the Redis store the tier reads each record once, with memory every node does.
 */
export interface DownlinkReads {
  /** Broadcasts published into aedes (with the Redis store the emitter takes them to every node). */
  published: number;
  /** P2P records whose target was connected to this node. */
  delivered: number;
  /** P2P records handed to the node holding the target over its Redis channel. */
  forwarded: number;
  /** P2P records queued for an offline persistent session. */
  queued: number;
  /** P2P records for a client connected nowhere (memory store: nowhere on this node). */
  notConnected: number;
  failed: number;
}

/** One phase on one node: its CPU and what it handled. */
export interface NodePhase {
  cpuMicros: number;
  /**
   * Connect: clients connected. Uplink: PUBACKs its clients got. Downlink: records it read from
   * fleetmq.downlink, whatever became of them.
   */
  handled: number;
  /** Messages its clients received. */
  delivered: number;
  /** Downlink phases: `handled` by outcome. Absent in results written before P2P was routed. */
  reads?: DownlinkReads;
}

export interface PhaseResult {
  /** What the per-message figures divide by: connects, uplink PUBACKs, downlink records. */
  count: number;
  durationMs: number;
  perNode: NodePhase[];
  /**
   * Records written to fleetmq.downlink during the phase by anyone (the bench writes only in the
   * downlink phases, `count` of them). More means others share the Kafka: every node read their
   * records too, paid for them in CPU (and Redis, for broadcast claims) and counted them in `handled`.
   * Absent in results written before it was recorded for every phase.
   */
  topicRecords?: number;
  redis?: RedisDelta;
}

export interface ScaleConfigResult {
  store: SessionStoreName;
  nodes: number;
  connectionsPerNode: number;
  /** Each node's CPU with no clients and no traffic, µs per second: subtracted from every phase's CPU in the docs. */
  idleCpuMicrosPerSec: number[];
  /** RSS of each node before its clients connected and after (idle, subscribed), bytes. */
  rssBeforeBytes: number[];
  rssConnectedBytes: number[];
  /** Redis used_memory after the connections minus before (redis store). */
  redisBytesConnected?: number;
  phases: {
    connect: PhaseResult;
    uplink: PhaseResult;
    p2p: PhaseResult;
    broadcast: PhaseResult;
    disconnect: PhaseResult;
  };
  /** PostgreSQL from before the connects to the gateways' exit after the disconnects (pg_stat deltas, their shutdown's writes included). */
  postgres: { transactions: number; clientSessionRowsWritten: number };
}

export interface ScaleProfile {
  name: 'quick' | 'default';
  connectionsPerNode: number;
  /** Clients per node connected and disconnected before anything is measured (0: none). */
  warmupConnectionsPerNode: number;
  uplinkClientsPerNode: number;
  uplinkInflight: number;
  uplinkMs: number;
  p2pRecords: number;
  broadcastRecords: number;
  payloadBytes: number;
}

export interface ScaleResult {
  startedAt: string;
  finishedAt: string;
  argv: string[];
  reproduce: string;
  machine: { nproc: number; cpuModel: string; node: string; commit: string; loadAverageStart: number[]; loadAverageEnd: number[]; versions: Record<string, string> };
  profile: ScaleProfile;
  configs: ScaleConfigResult[];
  failures: Array<{ store: SessionStoreName; nodes: number; error: string }>;
}
