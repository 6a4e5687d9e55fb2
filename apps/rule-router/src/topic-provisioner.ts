import type { Logger } from '#config';
import type { TopicAdmin } from '#messaging';

export interface ProvisionerOptions {
  /** FLEETMQ_KAFKA_CREATE_TOPICS: create a missing target topic, else report it unknown. */
  create: boolean;
  partitions: number;
  replicationFactor: number;
  /** How long a topic found missing stays reported missing before Kafka is asked again. */
  recheckMs: number;
}

/**
 * Makes sure the Kafka topics rules write to (or read from) exist. Known topics are cached, so
 * the hot path asks Kafka only for a topic it has not seen yet.
 */
export class TopicProvisioner {
  private readonly known = new Set<string>();
  private readonly missingUntil = new Map<string, number>();

  constructor(
    private readonly admin: TopicAdmin,
    private readonly options: ProvisionerOptions,
    private readonly logger: Logger,
  ) {}

  /** The topics among `topics` that cannot be used (missing and not created). */
  async unavailable(topics: Iterable<string>): Promise<Set<string>> {
    const result = new Set<string>();
    const unknown: string[] = [];
    const now = Date.now();
    for (const topic of topics) {
      if (this.known.has(topic)) continue;
      if ((this.missingUntil.get(topic) ?? 0) > now) result.add(topic);
      else unknown.push(topic);
    }
    if (unknown.length === 0) return result;
    const existing = new Set(await this.admin.listTopics());
    const missing = unknown.filter((t) => !existing.has(t));
    for (const t of unknown) if (existing.has(t)) this.known.add(t);
    if (missing.length === 0) return result;
    if (this.options.create) {
      try {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: this.options.partitions, replicationFactor: this.options.replicationFactor })),
        });
        this.logger.info({ topics: missing }, 'created rule target topics');
      } catch (err) {
        // Another router may have created them first; check what exists now.
        const now2 = new Set(await this.admin.listTopics());
        const still = missing.filter((t) => !now2.has(t));
        if (still.length > 0) this.logger.warn({ err, topics: still }, 'could not create rule topics');
      }
      const after = new Set(await this.admin.listTopics());
      for (const t of missing) {
        if (after.has(t)) this.known.add(t);
        else this.markMissing(t, result, now);
      }
      return result;
    }
    for (const t of missing) this.markMissing(t, result, now);
    return result;
  }

  private markMissing(topic: string, result: Set<string>, now: number): void {
    this.missingUntil.set(topic, now + this.options.recheckMs);
    result.add(topic);
  }
}
