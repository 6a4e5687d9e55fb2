import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { InstanceRow } from '#domain/persistence';
import { OptionalDescription } from '../../common/description.field.js';

const NAME = /^\S(.*\S)?$/;

export class CreateInstanceDto {
  @ApiProperty({ example: 'fleet-eu', minLength: 1, maxLength: 128 })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(NAME, { message: 'must not start or end with white space' })
  name!: string;

  @OptionalDescription()
  description?: string;
}

export class UpdateInstanceDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 128 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(NAME, { message: 'must not start or end with white space' })
  name?: string;

  @OptionalDescription()
  description?: string;
}

export class InstanceDto {
  @ApiProperty({ example: 'fmq-7k2d9x' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'the development instance anonymous clients join' }) anonymous!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(e: InstanceRow): InstanceDto {
    return {
      id: e.id,
      name: e.name,
      description: e.description,
      anonymous: e.anonymous,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    };
  }
}

export class InstanceListDto {
  @ApiProperty({ type: [InstanceDto] }) items!: InstanceDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
