import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQueryDto, pageSize } from '../common/pagination.js';
import { CreateInstanceDto, InstanceDto, InstanceListDto, UpdateInstanceDto } from './dto/instance.dto.js';
import { InstancesService } from './instances.service.js';

@ApiTags('instances')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances')
export class InstancesController {
  constructor(private readonly service: InstancesService) {}

  @Post()
  @ApiCreatedResponse({ type: InstanceDto })
  async create(@Body() body: CreateInstanceDto): Promise<InstanceDto> {
    return InstanceDto.from(await this.service.create(body));
  }

  @Get()
  @ApiOkResponse({ type: InstanceListDto })
  async list(@Query() query: ListQueryDto): Promise<InstanceListDto> {
    const page = await this.service.list(pageSize(query), query.cursor);
    return { items: page.items.map(InstanceDto.from), nextCursor: page.nextCursor };
  }

  @Get(':instanceId')
  @ApiOkResponse({ type: InstanceDto })
  async get(@Param('instanceId') id: string): Promise<InstanceDto> {
    return InstanceDto.from(await this.service.get(id));
  }

  @Patch(':instanceId')
  @ApiOkResponse({ type: InstanceDto })
  async update(@Param('instanceId') id: string, @Body() body: UpdateInstanceDto): Promise<InstanceDto> {
    return InstanceDto.from(await this.service.update(id, body));
  }

  @Delete(':instanceId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the instance and everything in it are gone' })
  async delete(@Param('instanceId') id: string): Promise<void> {
    await this.service.delete(id);
  }
}
