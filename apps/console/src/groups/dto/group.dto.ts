import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import type { GroupRow } from '#domain/persistence';
import { OptionalDescription } from '../../common/description.field.js';

export class CreateGroupDto {
  @ApiProperty({ example: 'GID_sensors', description: 'GID_ followed by [A-Za-z0-9_-], at most 64 characters' })
  @IsString()
  @MaxLength(64)
  @Matches(/^GID_[A-Za-z0-9_-]+$/, { message: 'must be GID_ followed by [A-Za-z0-9_-]' })
  groupId!: string;

  @OptionalDescription()
  description?: string;
}

export class GroupDto {
  @ApiProperty() groupId!: string;
  @ApiProperty() description!: string;
  @ApiProperty() createdAt!: string;

  static from(e: GroupRow): GroupDto {
    return { groupId: e.groupId, description: e.description, createdAt: e.createdAt.toISOString() };
  }
}

export class GroupListDto {
  @ApiProperty({ type: [GroupDto] }) items!: GroupDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
