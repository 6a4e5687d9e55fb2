import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQueryDto, pageSize } from '../common/pagination.js';
import { CreateRuleDto, RuleDto, RuleListDto, RuleStatsDto, UpdateRuleDto } from './dto/rule.dto.js';
import { RulesService } from './rules.service.js';

@ApiTags('rules')
@ApiBearerAuth('bearer')
@Controller('api/v1/instances/:instanceId/rules')
export class RulesController {
  constructor(private readonly service: RulesService) {}

  @Post()
  @ApiCreatedResponse({ type: RuleDto })
  async create(@Param('instanceId') instanceId: string, @Body() body: CreateRuleDto): Promise<RuleDto> {
    return RuleDto.from(await this.service.create(instanceId, body));
  }

  @Get()
  @ApiOkResponse({ type: RuleListDto })
  async list(@Param('instanceId') instanceId: string, @Query() query: ListQueryDto): Promise<RuleListDto> {
    const page = await this.service.list(instanceId, pageSize(query), query.cursor);
    return { items: page.items.map(RuleDto.from), nextCursor: page.nextCursor };
  }

  @Get(':ruleId')
  @ApiOkResponse({ type: RuleDto })
  async get(@Param('instanceId') instanceId: string, @Param('ruleId') ruleId: string): Promise<RuleDto> {
    return RuleDto.from(await this.service.get(instanceId, ruleId));
  }

  @Patch(':ruleId')
  @ApiOkResponse({ type: RuleDto })
  async update(@Param('instanceId') instanceId: string, @Param('ruleId') ruleId: string, @Body() body: UpdateRuleDto): Promise<RuleDto> {
    return RuleDto.from(await this.service.update(instanceId, ruleId, body));
  }

  @Delete(':ruleId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('instanceId') instanceId: string, @Param('ruleId') ruleId: string): Promise<void> {
    await this.service.delete(instanceId, ruleId);
  }

  @Get(':ruleId/stats')
  @ApiOkResponse({ type: RuleStatsDto })
  async stats(@Param('instanceId') instanceId: string, @Param('ruleId') ruleId: string): Promise<RuleStatsDto> {
    return this.service.stats(instanceId, ruleId);
  }
}
