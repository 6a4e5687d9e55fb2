import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Longest description a resource (instance, topic, group, access key) may carry. */
export const MAX_DESCRIPTION_LENGTH = 512;

/** The optional free-text `description` of a create or update DTO. */
export function OptionalDescription(): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_LENGTH }), IsOptional(), IsString(), MaxLength(MAX_DESCRIPTION_LENGTH));
}
