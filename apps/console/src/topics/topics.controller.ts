import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQueryDto, pageSize } from '../common/pagination.js';
import { CreateTopicDto, TopicDto, TopicListDto } from './dto/topic.dto.js';
import { TopicsService } from './topics.service.js';

@ApiTags('parent topics')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/topics')
export class TopicsController {
  constructor(private readonly service: TopicsService) {}

  @Post()
  @ApiCreatedResponse({ type: TopicDto })
  async create(@Param('instanceId') instanceId: string, @Body() body: CreateTopicDto): Promise<TopicDto> {
    return TopicDto.from(await this.service.create(instanceId, body));
  }

  @Get()
  @ApiOkResponse({ type: TopicListDto })
  async list(@Param('instanceId') instanceId: string, @Query() query: ListQueryDto): Promise<TopicListDto> {
    const page = await this.service.list(instanceId, pageSize(query), query.cursor);
    return { items: page.items.map(TopicDto.from), nextCursor: page.nextCursor };
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('instanceId') instanceId: string, @Param('name') name: string): Promise<void> {
    await this.service.delete(instanceId, name);
  }
}
