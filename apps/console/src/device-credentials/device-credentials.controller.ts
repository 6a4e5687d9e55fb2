import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DeviceCredentialsService, type DeviceCredential } from './device-credentials.service.js';
import { CreateDeviceCredentialDto, DeviceCredentialDto } from './dto/device-credential.dto.js';

function toDto(c: DeviceCredential): DeviceCredentialDto {
  return { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

@ApiTags('device credentials')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/device-credentials')
export class DeviceCredentialsController {
  constructor(private readonly service: DeviceCredentialsService) {}

  @Post()
  @ApiCreatedResponse({ type: DeviceCredentialDto })
  async create(@Param('instanceId') instanceId: string, @Body() body: CreateDeviceCredentialDto): Promise<DeviceCredentialDto> {
    return toDto(await this.service.create(instanceId, body.clientId));
  }

  @Get(':clientId')
  @ApiOkResponse({ type: DeviceCredentialDto })
  async get(@Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<DeviceCredentialDto> {
    return toDto(await this.service.get(instanceId, clientId));
  }

  @Post(':clientId/refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: DeviceCredentialDto })
  async refresh(@Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<DeviceCredentialDto> {
    return toDto(await this.service.refresh(instanceId, clientId));
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<void> {
    await this.service.delete(instanceId, clientId);
  }
}
