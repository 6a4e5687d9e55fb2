import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { NodesService } from './nodes.service.js';

class GatewayNodeDto {
  @ApiProperty() nodeId!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty() heartbeatAt!: string;
  @ApiProperty() mqttPort!: number;
  @ApiProperty() connections!: number;
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

  @Get()
  @ApiOkResponse({ type: GatewayNodeListDto })
  async list(): Promise<GatewayNodeListDto> {
    const nodes = await this.service.list();
    return { items: nodes.map((n) => ({ ...n, startedAt: n.startedAt.toISOString(), heartbeatAt: n.heartbeatAt.toISOString() })) };
  }
}
