import { Inject, Injectable } from '@nestjs/common';
import type { FleetMqConfig } from '#config';
import { GatewayNodeRepository, InstanceTrafficRepository } from '#domain/persistence';
import { CONSOLE_CONFIG } from '../console.tokens.js';
import { FRESH_TRAFFIC_MS } from '../stats/stats.service.js';

export interface GatewayNode {
  nodeId: string;
  startedAt: Date;
  heartbeatAt: Date;
  mqttPort: number;
  connections: number;
  /** Messages/s from devices and to devices over the node's last traffic flush (0 when it has none fresh). */
  messagesInPerSecond: number;
  messagesOutPerSecond: number;
  /** A heartbeat within three intervals: one or two late beats are tolerated. */
  live: boolean;
}

@Injectable()
export class NodesService {
  constructor(
    private readonly nodes: GatewayNodeRepository,
    private readonly traffic: InstanceTrafficRepository,
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
  ) {}

  async list(now = Date.now()): Promise<GatewayNode[]> {
    const liveSince = now - 3 * this.config.heartbeatMs;
    const [rows, rates] = await Promise.all([this.nodes.list(), this.traffic.nodeRates(new Date(now - FRESH_TRAFFIC_MS))]);
    return rows.map((n) => {
      const rate = rates.get(n.nodeId);
      return {
        ...n,
        messagesInPerSecond: rate?.rateIn ?? 0,
        messagesOutPerSecond: rate?.rateOut ?? 0,
        live: n.heartbeatAt.getTime() >= liveSince,
      };
    });
  }
}
