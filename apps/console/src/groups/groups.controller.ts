import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQueryDto, pageSize } from '../common/pagination.js';
import { CreateGroupDto, GroupDto, GroupListDto } from './dto/group.dto.js';
import { GroupsService } from './groups.service.js';

@ApiTags('groups')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/groups')
export class GroupsController {
  constructor(private readonly service: GroupsService) {}

  @Post()
  @ApiCreatedResponse({ type: GroupDto })
  async create(@Param('instanceId') instanceId: string, @Body() body: CreateGroupDto): Promise<GroupDto> {
    return GroupDto.from(await this.service.create(instanceId, body));
  }

  @Get()
  @ApiOkResponse({ type: GroupListDto })
  async list(@Param('instanceId') instanceId: string, @Query() query: ListQueryDto): Promise<GroupListDto> {
    const page = await this.service.list(instanceId, pageSize(query), query.cursor);
    return { items: page.items.map(GroupDto.from), nextCursor: page.nextCursor };
  }

  @Delete(':groupId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('instanceId') instanceId: string, @Param('groupId') groupId: string): Promise<void> {
    await this.service.delete(instanceId, groupId);
  }
}
