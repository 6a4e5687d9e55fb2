import { Inject, Injectable } from '@nestjs/common';
import type { FleetMqConfig } from '#config';
import { GatewayNodeRepository } from '#domain/persistence';
import { CONSOLE_CONFIG } from '../console.tokens.js';

export interface GatewayNode {
  nodeId: string;
  startedAt: Date;
  heartbeatAt: Date;
  mqttPort: number;
  connections: number;
  /** A heartbeat within three intervals: one or two late beats are tolerated. */
  live: boolean;
}

@Injectable()
export class NodesService {
  constructor(
    private readonly nodes: GatewayNodeRepository,
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
  ) {}

  async list(now = Date.now()): Promise<GatewayNode[]> {
    const liveSince = now - 3 * this.config.heartbeatMs;
    const rows = await this.nodes.list();
    return rows.map((n) => ({ ...n, live: n.heartbeatAt.getTime() >= liveSince }));
  }
}
