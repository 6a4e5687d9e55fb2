import type { DataSource } from 'typeorm';
import { ClientSessionRepository, TypeOrmClientSessionRepository } from './client-session.repository.js';
import { GatewayNodeRepository, TypeOrmGatewayNodeRepository } from './gateway-node.repository.js';
import { InstanceTrafficRepository, TypeOrmInstanceTrafficRepository } from './instance-traffic.repository.js';

/** What a gateway node writes to PostgreSQL besides credential lookups: sessions, its node row, traffic. */
export interface GatewayStateRepositories {
  sessions: ClientSessionRepository;
  nodes: GatewayNodeRepository;
  traffic: InstanceTrafficRepository;
}

/** The gateway's state repositories over one data source (so the gateway itself never touches TypeORM). */
export function createGatewayStateRepositories(dataSource: DataSource): GatewayStateRepositories {
  return {
    sessions: new TypeOrmClientSessionRepository(dataSource),
    nodes: new TypeOrmGatewayNodeRepository(dataSource),
    traffic: new TypeOrmInstanceTrafficRepository(dataSource),
  };
}
