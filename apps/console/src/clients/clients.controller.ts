import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ClientsService } from './clients.service.js';
import { ClientSessionDto, KickAcceptedDto } from './dto/client.dto.js';

@ApiTags('clients')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/clients')
export class ClientsController {
  constructor(private readonly service: ClientsService) {}

  @Get(':clientId')
  @ApiOkResponse({ type: ClientSessionDto })
  async get(@Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<ClientSessionDto> {
    return ClientSessionDto.from(await this.service.get(instanceId, clientId));
  }

  @Post(':clientId/kick')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: KickAcceptedDto })
  async kick(@Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<KickAcceptedDto> {
    await this.service.kick(instanceId, clientId);
    return { accepted: true };
  }
}
