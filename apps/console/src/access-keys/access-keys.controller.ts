import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQueryDto, pageSize } from '../common/pagination.js';
import { AccessKeysService } from './access-keys.service.js';
import { AccessKeyDto, AccessKeyListDto, CreateAccessKeyDto, CreatedAccessKeyDto, UpdateAccessKeyDto } from './dto/access-key.dto.js';

@ApiTags('access keys')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/access-keys')
export class AccessKeysController {
  constructor(private readonly service: AccessKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedAccessKeyDto })
  async create(@Param('instanceId') instanceId: string, @Body() body: CreateAccessKeyDto): Promise<CreatedAccessKeyDto> {
    const { key, secretKey } = await this.service.create(instanceId, body);
    return { ...AccessKeyDto.from(key), secretKey };
  }

  @Get()
  @ApiOkResponse({ type: AccessKeyListDto })
  async list(@Param('instanceId') instanceId: string, @Query() query: ListQueryDto): Promise<AccessKeyListDto> {
    const page = await this.service.list(instanceId, pageSize(query), query.cursor);
    return { items: page.items.map(AccessKeyDto.from), nextCursor: page.nextCursor };
  }

  @Patch(':accessKeyId')
  @ApiOkResponse({ type: AccessKeyDto })
  async update(
    @Param('instanceId') instanceId: string,
    @Param('accessKeyId') accessKeyId: string,
    @Body() body: UpdateAccessKeyDto,
  ): Promise<AccessKeyDto> {
    return AccessKeyDto.from(await this.service.update(instanceId, accessKeyId, body));
  }

  @Delete(':accessKeyId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('instanceId') instanceId: string, @Param('accessKeyId') accessKeyId: string): Promise<void> {
    await this.service.delete(instanceId, accessKeyId);
  }
}
