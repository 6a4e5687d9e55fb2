import { ApiProperty } from '@nestjs/swagger';
import type { ClientSessionRow } from '#domain/persistence';

export class SubscriptionDto {
  @ApiProperty() topic!: string;
  @ApiProperty() qos!: number;
}

export class ClientSessionDto {
  @ApiProperty() clientId!: string;
  @ApiProperty() online!: boolean;
  @ApiProperty({ description: 'gateway node holding (or last holding) the connection' }) nodeId!: string;
  @ApiProperty() remoteAddress!: string;
  @ApiProperty() connectedSince!: string;
  @ApiProperty({ type: String, nullable: true }) disconnectedAt!: string | null;
  @ApiProperty({ type: [SubscriptionDto] }) subscriptions!: SubscriptionDto[];
  @ApiProperty({ description: 'grows with each connect of the client' }) epoch!: number;

  static from(e: ClientSessionRow): ClientSessionDto {
    return {
      clientId: e.clientId,
      online: e.online,
      nodeId: e.nodeId,
      remoteAddress: e.remoteAddress,
      connectedSince: e.connectedSince.toISOString(),
      disconnectedAt: e.disconnectedAt?.toISOString() ?? null,
      subscriptions: e.subscriptions,
      epoch: e.epoch,
    };
  }
}

export class KickAcceptedDto {
  @ApiProperty() accepted!: boolean;
}
