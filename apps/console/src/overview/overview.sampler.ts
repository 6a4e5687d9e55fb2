import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { FleetMqConfig, Logger } from '#config';
import { DatabaseHealth, GatewayNodeRepository, InstanceTrafficRepository } from '#domain/persistence';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../console.tokens.js';
import { FRESH_TRAFFIC_MS } from '../stats/stats.service.js';
import { KafkaProbe } from './kafka-probe.js';
import { OverviewHistory, type OverviewSample } from './overview-history.js';

/**
 * Samples the fleet every FLEETMQ_OVERVIEW_SAMPLE_MS into a 15-minute history, so a console
 * page opened now shows the last minutes at once. One sample at a time: a slow database
 * delays the next one instead of piling queries up.
 */
@Injectable()
export class OverviewSampler implements OnApplicationBootstrap, OnModuleDestroy {
  readonly history: OverviewHistory;
  private readonly kafka: KafkaProbe;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
    @Inject(CONSOLE_LOGGER) private readonly logger: Logger,
    private readonly nodes: GatewayNodeRepository,
    private readonly traffic: InstanceTrafficRepository,
    private readonly database: DatabaseHealth,
  ) {
    this.history = new OverviewHistory(config.overviewSampleMs);
    this.kafka = new KafkaProbe(config.kafkaBrokers, logger, Math.min(3_000, Math.max(500, config.overviewSampleMs)));
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.kafka.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sample()
        .then((s) => this.history.add(s))
        .catch((err: unknown) => this.logger.warn({ err }, 'overview sample failed'))
        .finally(() => this.schedule(this.config.overviewSampleMs));
    }, delayMs);
    this.timer.unref();
  }

  async sample(now = Date.now()): Promise<OverviewSample> {
    const [database, fleet, kafka] = await Promise.all([
      this.database.ping().then(() => 'up' as const, () => 'down' as const),
      this.fleet(now).catch(() => null),
      this.kafka.state(),
    ]);
    return {
      at: new Date(now).toISOString(),
      connections: fleet?.connections ?? null,
      messagesInPerSecond: fleet?.rateIn ?? null,
      messagesOutPerSecond: fleet?.rateOut ?? null,
      kafka,
      database,
    };
  }

  private async fleet(now: number): Promise<{ connections: number; rateIn: number; rateOut: number }> {
    const liveSince = now - 3 * this.config.heartbeatMs;
    const [nodes, rates] = await Promise.all([this.nodes.list(), this.traffic.fleetRates(new Date(now - FRESH_TRAFFIC_MS))]);
    const connections = nodes.filter((n) => n.heartbeatAt.getTime() >= liveSince).reduce((sum, n) => sum + n.connections, 0);
    return { connections, ...rates };
  }
}
