import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { RULE_KINDS, type RuleKind } from '#domain';
import type { RuleRow, RuleTotals } from '#domain/persistence';

const SOURCE_DOC = 'outflow: {topicFilter}; inflow: {kafkaTopic}; status: {groupId?}';
const TARGET_DOC =
  "outflow: {kafkaTopic, keyStrategy: clientId|topic|none, format: raw|json, payloadEncoding: base64|utf8 (json only)}; " +
  'inflow: {topicTemplate (with ${key}, ${header.NAME}), qos: 0|1, retain}; status: {kafkaTopic, keyStrategy: clientId|none}';

export class CreateRuleDto {
  @ApiProperty({ example: 'telemetry-to-backend', maxLength: 128 })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(/^\S(.*\S)?$/, { message: 'must not start or end with white space' })
  name!: string;

  @ApiProperty({ enum: RULE_KINDS })
  @IsIn(RULE_KINDS)
  kind!: RuleKind;

  @ApiProperty({ type: 'object', additionalProperties: true, description: SOURCE_DOC, example: { topicFilter: 'telemetry/#' } })
  @IsObject()
  source!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: TARGET_DOC, example: { kafkaTopic: 'device-telemetry' } })
  @IsObject()
  target!: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateRuleDto {
  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(/^\S(.*\S)?$/, { message: 'must not start or end with white space' })
  name?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `replaces the source; ${SOURCE_DOC}` })
  @IsOptional()
  @IsObject()
  source?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `replaces the target; ${TARGET_DOC}` })
  @IsOptional()
  @IsObject()
  target?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class RuleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() instanceId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: RULE_KINDS }) kind!: RuleKind;
  @ApiProperty({ type: 'object', additionalProperties: true }) source!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) target!: Record<string, unknown>;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(e: RuleRow): RuleDto {
    return {
      id: e.id,
      instanceId: e.instanceId,
      name: e.name,
      kind: e.kind,
      source: e.source,
      target: e.target,
      enabled: e.enabled,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    };
  }
}

export class RuleListDto {
  @ApiProperty({ type: [RuleDto] }) items!: RuleDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class RuleStatsDto implements RuleTotals {
  @ApiProperty() matched!: number;
  @ApiProperty() routed!: number;
  @ApiProperty() failed!: number;
}
