import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { OverviewSample } from './overview-history.js';
import { OverviewSampler } from './overview.sampler.js';

class OverviewSampleDto implements OverviewSample {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'open MQTT connections on live gateway nodes (null: database did not answer)' })
  connections!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'device messages per second over all instances and nodes' })
  messagesInPerSecond!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'messages to devices per second over all instances and nodes' })
  messagesOutPerSecond!: number | null;
  @ApiProperty({ enum: ['up', 'down', 'none'], description: 'none: no KAFKA_BROKERS (in-process bus)' }) kafka!: 'up' | 'down' | 'none';
  @ApiProperty({ enum: ['up', 'down'] }) database!: 'up' | 'down';
}

class OverviewHistoryDto {
  @ApiProperty({ description: 'time between samples (FLEETMQ_OVERVIEW_SAMPLE_MS)' }) sampleIntervalMs!: number;
  @ApiProperty({ description: 'how far back the history reaches' }) windowMs!: number;
  @ApiProperty({ type: [OverviewSampleDto], description: 'oldest first' }) samples!: OverviewSampleDto[];
}

@ApiTags('overview')
@ApiBearerAuth('bearer')
@Controller('api/v1/overview')
export class OverviewController {
  constructor(private readonly sampler: OverviewSampler) {}

  @Get('history')
  @ApiOkResponse({ type: OverviewHistoryDto, description: 'the fleet over the last 15 minutes, kept by the console' })
  history(): OverviewHistoryDto {
    const { history } = this.sampler;
    return { sampleIntervalMs: history.sampleMs, windowMs: history.windowMs, samples: history.samples() };
  }
}
