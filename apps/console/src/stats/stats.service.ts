import { Injectable } from '@nestjs/common';
import { ClientSessionRepository, InstanceTrafficRepository } from '#domain/persistence';
import { InstancesService } from '../instances/instances.service.js';

/** Rates older than this come from nodes that stopped flushing: they no longer count. */
export const FRESH_TRAFFIC_MS = 15_000;

export interface InstanceStats {
  connections: number;
  messagesInPerSecond: number;
  messagesOutPerSecond: number;
  messagesInTotal: number;
  messagesOutTotal: number;
}

@Injectable()
export class StatsService {
  constructor(
    private readonly instances: InstancesService,
    private readonly sessions: ClientSessionRepository,
    private readonly traffic: InstanceTrafficRepository,
  ) {}

  async get(instanceId: string, now = Date.now()): Promise<InstanceStats> {
    await this.instances.get(instanceId);
    const [connections, totals] = await Promise.all([
      this.sessions.countOnline(instanceId),
      this.traffic.totals(instanceId, new Date(now - FRESH_TRAFFIC_MS)),
    ]);
    return {
      connections,
      messagesInPerSecond: totals.rateIn,
      messagesOutPerSecond: totals.rateOut,
      messagesInTotal: totals.messagesIn,
      messagesOutTotal: totals.messagesOut,
    };
  }
}
