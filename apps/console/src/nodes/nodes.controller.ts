import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { NodesService } from './nodes.service.js';

class GatewayNodeDto {
  @ApiProperty() nodeId!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty() heartbeatAt!: string;
  @ApiProperty() mqttPort!: number;
  @ApiProperty({ description: 'open MQTT connections at the last heartbeat' }) connections!: number;
  @ApiProperty({ description: 'messages/s from devices (uplink) over every instance, from the node\'s last traffic flush' }) messagesInPerSecond!: number;
  @ApiProperty({ description: 'messages/s delivered to devices over every instance, from the node\'s last traffic flush' }) messagesOutPerSecond!: number;
  @ApiProperty({ description: 'heartbeat within 3 heartbeat intervals' }) live!: boolean;
}

class GatewayNodeListDto {
  @ApiProperty({ type: [GatewayNodeDto] }) items!: GatewayNodeDto[];
}

@ApiTags('nodes')
@ApiBearerAuth('bearer')
@Controller('api/v1/nodes')
export class NodesController {
  constructor(private readonly service: NodesService) {}

  /** Cluster view: every gateway node that has written a heartbeat row; `live` tells the ones still beating. */
  @Get()
  @ApiOkResponse({ type: GatewayNodeListDto, description: 'gateway nodes with their connections and message rates' })
  async list(): Promise<GatewayNodeListDto> {
    const nodes = await this.service.list();
    return { items: nodes.map((n) => ({ ...n, startedAt: n.startedAt.toISOString(), heartbeatAt: n.heartbeatAt.toISOString() })) };
  }
}
