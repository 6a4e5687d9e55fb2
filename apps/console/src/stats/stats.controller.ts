import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { StatsService, type InstanceStats } from './stats.service.js';

class InstanceStatsDto implements InstanceStats {
  @ApiProperty({ description: 'online clients' }) connections!: number;
  @ApiProperty({ description: 'device messages per second, summed over live gateway nodes' }) messagesInPerSecond!: number;
  @ApiProperty({ description: 'messages to devices per second, summed over live gateway nodes' }) messagesOutPerSecond!: number;
  @ApiProperty() messagesInTotal!: number;
  @ApiProperty() messagesOutTotal!: number;
}

@ApiTags('stats')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/stats')
export class StatsController {
  constructor(private readonly service: StatsService) {}

  @Get()
  @ApiOkResponse({ type: InstanceStatsDto })
  get(@Param('instanceId') instanceId: string): Promise<InstanceStatsDto> {
    return this.service.get(instanceId);
  }
}
