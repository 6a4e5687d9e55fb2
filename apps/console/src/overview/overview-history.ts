/** What the console's overview shows at one moment, for the whole fleet. */
export interface OverviewSample {
  /** ISO time of the sample. */
  at: string;
  /** Open MQTT connections on live gateway nodes; null when the database did not answer. */
  connections: number | null;
  messagesInPerSecond: number | null;
  messagesOutPerSecond: number | null;
  /** `none`: no KAFKA_BROKERS, messages go through the in-process bus. */
  kafka: 'up' | 'down' | 'none';
  database: 'up' | 'down';
}

export const OVERVIEW_WINDOW_MS = 15 * 60_000;

/**
 * The last `windowMs` of samples taken every `sampleMs`, oldest first: a fixed ring, so memory
 * stays bounded however long the console runs.
 */
export class OverviewHistory {
  private readonly ring: OverviewSample[] = [];
  private next = 0;
  readonly capacity: number;

  constructor(readonly sampleMs: number, readonly windowMs = OVERVIEW_WINDOW_MS) {
    this.capacity = Math.max(1, Math.ceil(windowMs / sampleMs));
  }

  add(sample: OverviewSample): void {
    if (this.ring.length < this.capacity) this.ring.push(sample);
    else this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }

  samples(): OverviewSample[] {
    if (this.ring.length < this.capacity) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
