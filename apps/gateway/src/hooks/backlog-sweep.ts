import type { FleetMqConfig } from '#config';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';
import type { ConnectionState } from '../session/connection-state.js';
import type { EngineBoundary } from './engine-boundary.js';

const BACKLOG_CHECK_MS = 50;
/** How often the connections that were forwarded to are looked at for a backed-up socket (gateway.ts runs the sweep). */
export const BACKLOG_SWEEP_MS = 500;
/** A backed-up socket whose outgoing buffer has not shrunk for this long belongs to a stalled reader. */
export const STALLED_WRITE_MS = 5_000;

export interface BacklogSweepDeps {
  readonly config: Pick<FleetMqConfig, 'limits'>;
  readonly metrics: GatewayMetrics;
  readonly boundary: EngineBoundary;
  clock(): number;
}

/**
 * aedes holds each delivery until the subscriber's socket drains, and a PUBLISH is done only
 * when every subscriber took it: one stalled reader therefore stops the publishers' flow to
 * every subscriber (until aedes' drainTimeout, 60 s) long before its buffer reaches the
 * byte limit, and no further forward comes to check it. So every sweep looks at the
 * connections forwarded to since the sweep before last (the write may follow the forward hook
 * asynchronously, so each forward gets two looks), and a backed-up one is watched until it
 * drains: over the byte limit, or no progress for STALLED_WRITE_MS, it is closed. Idle
 * connections are never walked: the sweep costs nothing per idle connection.
 */
export class BacklogSweep {
  /** Connections forwarded to in the last two sweep intervals; each at most once. */
  private candidates: ConnectionState[] = [];
  /** Sweeps done so far; a state's forwardSweep is this count when it was last forwarded to. */
  private sweeps = 0;

  constructor(private readonly deps: BacklogSweepDeps) {}

  /** A PUBLISH is about to be written to this connection (authorize-forward hook; hot path). */
  forwarded(state: ConnectionState): void {
    const last = state.forwardSweep;
    if (last === this.sweeps) return;
    // Forwarded in the interval before the last sweep: still listed, kept one more sweep.
    if (last !== this.sweeps - 1) this.candidates.push(state);
    state.forwardSweep = this.sweeps;
  }

  /** Starts watching every listed connection whose socket has bytes waiting (every BACKLOG_SWEEP_MS). */
  sweep(): void {
    const list = this.candidates;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const state = list[i];
      if (state.backlogTimer === undefined && !state.client.closed) {
        const conn = state.client.conn as { writableLength?: number };
        if ((conn.writableLength ?? 0) > 0) this.watch(state, conn);
      }
      if (state.forwardSweep === this.sweeps) list[kept++] = state;
    }
    list.length = kept;
    this.sweeps++;
  }

  private watch(state: ConnectionState, conn: { writableLength?: number }): void {
    const { deps } = this;
    const maxOutgoing = deps.config.limits.maxOutgoingBufferBytes;
    let last = conn.writableLength ?? 0;
    let progressAt = deps.clock();
    state.backlogTimer = setInterval(() => {
      const queued = conn.writableLength ?? 0;
      const now = deps.clock();
      if (queued < last) progressAt = now;
      last = queued;
      if (queued > 0 && !state.client.closed) {
        if (queued <= maxOutgoing && now - progressAt < STALLED_WRITE_MS) return;
        // A timer is outside every aedes call: closing (the will runs) goes through the engine boundary.
        deps.metrics.slowConsumers.inc();
        deps.boundary.close('timer', state, 'error');
      }
      clearInterval(state.backlogTimer);
      state.backlogTimer = undefined;
    }, BACKLOG_CHECK_MS);
    state.backlogTimer.unref();
  }
}
