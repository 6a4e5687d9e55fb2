import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { ParentTopicRow } from '#domain/persistence';
import { OptionalDescription } from '../../common/description.field.js';

export class CreateTopicDto {
  @ApiProperty({ example: 'telemetry', description: 'one topic level of [A-Za-z0-9_-], 1..64 characters' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be one topic level of 1 to 64 characters [A-Za-z0-9_-]' })
  name!: string;

  @OptionalDescription()
  description?: string;
}

export class TopicDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() createdAt!: string;

  static from(e: ParentTopicRow): TopicDto {
    return { name: e.name, description: e.description, createdAt: e.createdAt.toISOString() };
  }
}

export class TopicListDto {
  @ApiProperty({ type: [TopicDto] }) items!: TopicDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
