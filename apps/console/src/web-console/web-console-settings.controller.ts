import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FleetMqConfig } from '#config';
import { CONSOLE_CONFIG } from '../console.tokens.js';

class WebConsoleSettingsDto {
  @ApiProperty({ description: 'MQTT-over-WebSocket port of the gateway configured with this console (FLEETMQ_WS_PORT)' }) websocketPort!: number;
  @ApiProperty({ example: '/mqtt' }) websocketPath!: string;
}

/** What the web console's device simulator needs to propose a WebSocket URL. */
@ApiTags('web console')
@ApiBearerAuth('bearer')
@Controller('api/v1/web-console/settings')
export class WebConsoleSettingsController {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig) {}

  @Get()
  @ApiOkResponse({ type: WebConsoleSettingsDto })
  get(): WebConsoleSettingsDto {
    return { websocketPort: this.config.wsPort, websocketPath: this.config.wsPath };
  }
}
